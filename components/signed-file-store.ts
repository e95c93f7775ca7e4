import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resolveArgs } from "./args/resolve";
import type { ResolvedArgs, SignedFileStoreArgs } from "./args/types";
import { invokeFunctionUrlPolicy } from "./policies/iam";
import { signingKeyKmsPolicy } from "./policies/kms-key";
import { type AwsContext, awsContext } from "./resources/aws-context";
import { createCdnPolicies, createDelivery, type DeliveryInputs } from "./resources/delivery";
import { createDataKey, createDataKeyPolicy } from "./resources/encryption";
import { createFunctionRole, createSigningFunction, type SigningInputs } from "./resources/function";
import { createErrorRateAlarm } from "./resources/monitoring";
import { type ChildScope, physicalNames } from "./resources/names";
import { activeKey, createSigningKeys, createSigningSecret, type SigningKeys } from "./resources/signing";
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
  /** The key group that signs: the store's own, or the account's with `shared`. */
  readonly keyGroupId: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;
  /** CloudFront public key IDs by signing key name: the store's own keys (none of the account's). */
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
  /** The store's own key group; undefined with `shared` (the account's signs) and no earlier keys. */
  readonly keyGroup: aws.cloudfront.KeyGroup | undefined;

  constructor(name: string, args: SignedFileStoreArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("signed-file-store:index:SignedFileStore", name, {}, opts);
    const config = resolveArgs(args);
    const scope: ChildScope = {
      name,
      names: physicalNames(name),
      config,
      tags: config.tags,
      parent: this,
    };
    const context = awsContext(this);

    const encryption = createDataKey(scope);
    const storage = createStorage(scope, encryption.keyArn);
    const role = createFunctionRole(scope);
    const signing = createStoreSigning(scope, context, role);
    const distribution = createDelivery(scope, storage.bucket, signing.delivery);
    const cdnDomainName: pulumi.Output<string> = config.customDomain?.aliases[0]
      ? pulumi.output(config.customDomain.aliases[0])
      : distribution.domainName;
    const fn = createSigningFunction(scope, role, context, {
      bucket: storage.bucket,
      signing: signing.function,
      cdnDomainName,
      distribution,
      dataKeyArn: encryption.keyArn,
    });
    createBucketPolicy(scope, storage, distribution, role);
    createDataKeyPolicy(scope, encryption, distribution);
    createErrorRateAlarm(scope, fn.function);

    this.bucket = storage.bucket;
    this.distribution = distribution;
    this.function = fn.function;
    this.role = role;
    this.keyGroup = signing.own?.keyGroup;
    this.apiUrl = fn.functionUrl.functionUrl;
    this.cdnDomainName = cdnDomainName;
    this.bucketName = storage.bucket.bucket;
    this.distributionId = distribution.id;
    this.keyGroupId = pulumi.output(signing.delivery.keyGroupIds[0] ?? "");
    this.functionName = fn.function.name;
    this.publicKeyIds = pulumi.output(
      Object.fromEntries((signing.own?.keys ?? []).map((k) => [k.name, k.publicKey.id])),
    ) as pulumi.Output<Record<string, string>>;
    this.signingKeyParameterName = pulumi.output(signing.function.parameterName);
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

interface StoreSigning {
  /** The store's own keys and key group, when it has any. */
  readonly own: SigningKeys | undefined;
  readonly delivery: DeliveryInputs;
  readonly function: SigningInputs;
}

/**
 * The store's own signing identity and CDN policies, or the account's. A store moving to the
 * account keeps its own earlier keys trusted, second, until the URLs they signed have expired.
 */
function createStoreSigning(scope: ChildScope, context: AwsContext, role: aws.iam.Role): StoreSigning {
  const { signing } = scope.config satisfies ResolvedArgs;
  if (signing.mode === "shared") {
    const { shared } = signing;
    const retained =
      signing.retainedKeys.length > 0 ? createSigningKeys(scope, signing.retainedKeys) : undefined;
    return {
      own: retained,
      delivery: {
        cachePolicyId: shared.cachePolicyId,
        responseHeadersPolicyId: shared.responseHeadersPolicyId,
        keyGroupIds: retained ? [shared.keyGroupId, retained.keyGroup.id] : [shared.keyGroupId],
      },
      function: {
        keyPairId: shared.keyPairId,
        parameterName: shared.signingKeyParameterName,
        parameterArn: shared.signingKeyParameterArn,
        kmsKeyArn: shared.signingKeyKmsKeyArn,
      },
    };
  }
  const own = createSigningKeys(scope, signing.keys);
  const active = activeKey(own.keys, signing.active);
  const keyPolicy = pulumi
    .all([context.partition, context.dnsSuffix, context.accountId, role.arn, context.region])
    .apply(([p, dnsSuffix, account, roleArn, r]) =>
      signingKeyKmsPolicy(`arn:${p}:iam::${account}:root`, roleArn, r, dnsSuffix),
    );
  const secret = createSigningSecret(scope, active, own.keyGroup, keyPolicy, signing.retiresAtMs);
  const policies = createCdnPolicies(scope);
  return {
    own,
    delivery: {
      cachePolicyId: policies.cachePolicy.id,
      responseHeadersPolicyId: policies.responseHeadersPolicy.id,
      keyGroupIds: [own.keyGroup.id],
    },
    function: {
      keyPairId: active.publicKey.id,
      parameterName: secret.parameter.name,
      parameterArn: secret.parameter.arn,
      kmsKeyArn: secret.kmsKey.arn,
    },
  };
}
