import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resolveArgs } from "./args/resolve";
import type { SignedFileStoreArgs } from "./args/types";
import { invokeFunctionUrlPolicy } from "./policies/iam";
import { createDelivery, createSigningKeys } from "./resources/delivery";
import { createDataKey, createDataKeyPolicy } from "./resources/encryption";
import { createSigningFunction } from "./resources/function";
import { createErrorRateAlarm } from "./resources/monitoring";
import { physicalNames } from "./resources/names";
import { createBucketPolicy, createStorage } from "./resources/storage";

export type { SignedFileStoreArgs } from "./args/types";
export { CDN_TTL_SECONDS, CORS_S3_ORIGIN_REQUEST_POLICY_ID } from "./resources/delivery";

/**
 * A private bucket, a CloudFront distribution that only serves signed URLs, and a Lambda function
 * URL that decides who may do what to which key and answers with a 307 to a signed URL.
 */
export class SignedFileStore extends pulumi.ComponentResource {
  /** The API's base URL (the function URL), ending in `/`. */
  readonly apiUrl: pulumi.Output<string>;
  /** The host name signed download URLs use: the first custom alias, or the distribution's. */
  readonly cdnDomainName: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  readonly distributionId: pulumi.Output<string>;
  readonly keyGroupId: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;
  /** CloudFront public key IDs by signing key name. */
  readonly publicKeyIds: pulumi.Output<Record<string, string>>;
  /** The SSM parameter that holds the active signing key. */
  readonly signingKeyParameterName: pulumi.Output<string>;
  /** For auth mode `iam`: the identity policy callers need. */
  readonly invokePolicy: pulumi.Output<string>;

  /*
   * The children, for platform teams that attach what they need (a replication rule, a WAF, an
   * extra policy) without forking the component, as awsx components expose theirs. Changing what
   * the component itself sets on them is not supported: the next `pulumi up` sets it back.
   */
  /** The private bucket. */
  readonly bucket: aws.s3.Bucket;
  /** The CloudFront distribution that serves signed read URLs. */
  readonly distribution: aws.cloudfront.Distribution;
  /** The signing function. */
  readonly function: aws.lambda.Function;
  /** The function's execution role. */
  readonly role: aws.iam.Role;
  /** The key group every behavior trusts. */
  readonly keyGroup: aws.cloudfront.KeyGroup;

  constructor(name: string, args: SignedFileStoreArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("signed-file-store:index:SignedFileStore", name, {}, opts);
    const config = resolveArgs(args);
    const scope = { name, names: physicalNames(name), config, parent: this };

    const encryption = createDataKey(scope);
    const storage = createStorage(scope, encryption.keyArn);
    const signing = createSigningKeys(scope);
    const delivery = createDelivery(scope, storage.bucket, signing.keyGroup);
    const cdnDomainName: pulumi.Output<string> = config.customDomain?.aliases[0]
      ? pulumi.output(config.customDomain.aliases[0])
      : delivery.distribution.domainName;
    const fn = createSigningFunction(scope, {
      bucket: storage.bucket,
      activeKey: signing.active,
      cdnDomainName,
      distributionId: delivery.distribution.id,
      dataKeyArn: encryption.keyArn,
    });
    createBucketPolicy(scope, storage, delivery.distribution, fn.role);
    createDataKeyPolicy(scope, encryption, delivery.distribution);
    createErrorRateAlarm(scope, fn.function);

    this.bucket = storage.bucket;
    this.distribution = delivery.distribution;
    this.function = fn.function;
    this.role = fn.role;
    this.keyGroup = signing.keyGroup;
    this.apiUrl = fn.functionUrl.functionUrl;
    this.cdnDomainName = cdnDomainName;
    this.bucketName = storage.bucket.bucket;
    this.distributionId = delivery.distribution.id;
    this.keyGroupId = signing.keyGroup.id;
    this.functionName = fn.function.name;
    this.publicKeyIds = pulumi.output(
      Object.fromEntries(signing.keys.map((k) => [k.name, k.publicKey.id])),
    ) as pulumi.Output<Record<string, string>>;
    this.signingKeyParameterName = fn.signingKeyParameter.name;
    this.invokePolicy = fn.function.arn.apply((arn) => JSON.stringify(invokeFunctionUrlPolicy(arn)));
    this.registerOutputs({
      apiUrl: this.apiUrl,
      cdnDomainName: this.cdnDomainName,
      bucketName: this.bucketName,
      distributionId: this.distributionId,
      keyGroupId: this.keyGroupId,
      functionName: this.functionName,
      publicKeyIds: this.publicKeyIds,
      signingKeyParameterName: this.signingKeyParameterName,
      invokePolicy: this.invokePolicy,
    });
  }
}
