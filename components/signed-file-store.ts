import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import {
  CONFIG_ENV,
  DEFAULT_MAX_READ_EXPIRY_SECONDS,
  DEFAULT_MAX_WRITE_EXPIRY_SECONDS,
  type HandlerConfig,
  SIGNING_KEY_PARAMETER_ENV,
} from "../functions/config";
import { resolveArgs, type SignedFileStoreArgs, type SigningKeyAlgorithm } from "./args";
import { bundleHandler } from "./bundle";
import { corsRules } from "./cors-rules";
import {
  bucketPolicy,
  functionRolePolicy,
  invokeFunctionUrlPolicy,
  lambdaAssumeRolePolicy,
  signingKeyKmsPolicy,
} from "./policies";

export type { SignedFileStoreArgs } from "./args";

/** AWS's managed CachingOptimized cache policy: no query string, headers or cookies in the cache key. */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

const TLS_KEY: Record<SigningKeyAlgorithm, tls.PrivateKeyArgs> = {
  "ecdsa-p256": { algorithm: "ECDSA", ecdsaCurve: "P256" },
  "rsa-2048": { algorithm: "RSA", rsaBits: 2048 },
};

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

  constructor(name: string, args: SignedFileStoreArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super("signed-file-store:index:SignedFileStore", name, {}, opts);
    const config = resolveArgs(args);
    const parent = { parent: this };
    const tags = config.tags;
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent).region;
    const partition = aws.getPartitionOutput({}, parent).partition;
    const cors = config.corsOrigins.length > 0 ? corsRules(config.corsOrigins) : undefined;

    // Storage: private, owner-enforced, encrypted, versioned.
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: config.forceDestroy, tags }, parent);
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: config.versioning ? "Enabled" : "Suspended" } },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: config.noncurrentVersionExpirationDays },
          },
          {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: {
              daysAfterInitiation: config.abortIncompleteMultipartUploadDays,
            },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    if (cors) {
      // Browsers upload straight to S3 with the presigned URLs; multipart clients read each part's ETag.
      new aws.s3.BucketCorsConfiguration(
        `${name}-cors`,
        {
          bucket: bucket.id,
          corsRules: [
            {
              allowedOrigins: [...cors.bucket.allowOrigins],
              allowedMethods: [...cors.bucket.allowMethods],
              allowedHeaders: [...cors.bucket.allowHeaders],
              exposeHeaders: [...cors.bucket.exposeHeaders],
              maxAgeSeconds: cors.bucket.maxAgeSeconds,
            },
          ],
        },
        parent,
      );
    }

    // Signing keys: every public key in the key group, the active private key in SSM.
    const keys = config.signingKeys.map((k) => {
      const privateKey = new tls.PrivateKey(`${name}-signing-key-${k.name}`, TLS_KEY[k.algorithm], parent);
      const publicKey = new aws.cloudfront.PublicKey(
        `${name}-public-key-${k.name}`,
        { encodedKey: privateKey.publicKeyPem, comment: `${name} ${k.name} (${k.algorithm})` },
        parent,
      );
      return { name: k.name, privateKey, publicKey };
    });
    const active = keys.find((k) => k.name === config.activeSigningKey) ?? keys[0];
    if (!active) throw new Error("[signingKeys] resolved to no key");
    const keyGroup = new aws.cloudfront.KeyGroup(
      `${name}-key-group`,
      { items: keys.map((k) => k.publicKey.id), comment: `${name} signed URL keys` },
      parent,
    );

    // Delivery: CloudFront reads the bucket through OAC and serves only signed URLs.
    const oac = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      {
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
        description: `${name} bucket access`,
      },
      parent,
    );
    // CloudFront adds these CORS headers itself (originOverride), so S3 needs no CORS rule for reads
    // (CloudFront Developer Guide, "Understand response headers policies").
    const responseHeadersPolicy = cors
      ? new aws.cloudfront.ResponseHeadersPolicy(
          `${name}-cdn-cors`,
          {
            comment: `${name} cross-origin downloads`,
            corsConfig: {
              accessControlAllowCredentials: false,
              accessControlAllowOrigins: { items: [...cors.cdn.allowOrigins] },
              accessControlAllowMethods: { items: [...cors.cdn.allowMethods] },
              accessControlAllowHeaders: { items: [...cors.cdn.allowHeaders] },
              accessControlExposeHeaders: { items: [...cors.cdn.exposeHeaders] },
              accessControlMaxAgeSec: cors.cdn.maxAgeSeconds,
              originOverride: true,
            },
          },
          parent,
        )
      : undefined;
    const originId = "bucket";
    const distribution = new aws.cloudfront.Distribution(
      `${name}-cdn`,
      {
        enabled: true,
        comment: `${name} signed downloads`,
        httpVersion: "http2and3",
        isIpv6Enabled: true,
        priceClass: config.priceClass,
        aliases: config.customDomain?.aliases ?? [],
        origins: [{ originId, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
        defaultCacheBehavior: {
          targetOriginId: originId,
          viewerProtocolPolicy: "redirect-to-https",
          // OPTIONS reaches the behavior only for CORS preflights; it is never cached.
          allowedMethods: cors ? ["GET", "HEAD", "OPTIONS"] : ["GET", "HEAD"],
          cachedMethods: ["GET", "HEAD"],
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
          ...(responseHeadersPolicy ? { responseHeadersPolicyId: responseHeadersPolicy.id } : {}),
          trustedKeyGroups: [keyGroup.id],
          compress: true,
        },
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: config.customDomain
          ? {
              acmCertificateArn: config.customDomain.certificateArn,
              sslSupportMethod: "sni-only",
              minimumProtocolVersion: "TLSv1.2_2021",
            }
          : { cloudfrontDefaultCertificate: true },
        tags,
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: bucket.id,
        policy: pulumi
          .all([bucket.arn, distribution.arn])
          .apply(([b, d]) => JSON.stringify(bucketPolicy(b, d))),
      },
      // S3 refuses a bucket policy while the public access block is being set up.
      { parent: this, dependsOn: [publicAccessBlock] },
    );

    // The function's identity and its secret.
    const role = new aws.iam.Role(
      `${name}-function-role`,
      {
        assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
        description: `${name} signing function`,
        tags,
      },
      parent,
    );
    const kmsKey = new aws.kms.Key(
      `${name}-signing-key-kms`,
      {
        description: `${name}: encrypts the CloudFront signing key`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi
          .all([partition, identity.accountId, role.arn, region])
          .apply(([p, account, roleArn, r]) =>
            JSON.stringify(signingKeyKmsPolicy(`arn:${p}:iam::${account}:root`, roleArn, r)),
          ),
        tags,
      },
      parent,
    );
    const signingKeyParameter = new aws.ssm.Parameter(
      `${name}-signing-key`,
      {
        type: "SecureString",
        description: `${name}: PEM of CloudFront signing key "${active.name}"`,
        value: active.privateKey.privateKeyPemPkcs8,
        keyId: kmsKey.arn,
        tags,
      },
      parent,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-function-logs`,
      {
        name: pulumi.interpolate`/aws/lambda/${name}-signer`,
        retentionInDays: config.logRetentionDays,
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-function-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([bucket.arn, logGroup.arn, signingKeyParameter.arn, kmsKey.arn, region])
          .apply(([bucketArn, logGroupArn, signingKeyParameterArn, kmsKeyArn, r]) =>
            JSON.stringify(
              functionRolePolicy({ bucketArn, logGroupArn, signingKeyParameterArn, kmsKeyArn, region: r }),
            ),
          ),
      },
      parent,
    );

    // The function: one deterministic bundle, config as non-secret JSON, the key by reference.
    const cdnDomainName = config.customDomain?.aliases[0]
      ? pulumi.output(config.customDomain.aliases[0])
      : distribution.domainName;
    const handlerConfig = pulumi.all([bucket.bucket, region, cdnDomainName, active.publicKey.id]).apply(
      ([bucketName, r, domain, keyPairId]): HandlerConfig => ({
        s3: { bucket: bucketName, region: r },
        cdnBaseUrl: `https://${domain}`,
        keyPairId,
        hashAlgorithm: config.hashAlgorithm,
        expirySeconds: config.expirySeconds,
        maxReadExpirySeconds: DEFAULT_MAX_READ_EXPIRY_SECONDS,
        maxWriteExpirySeconds: DEFAULT_MAX_WRITE_EXPIRY_SECONDS,
        auth: config.auth,
        publicReadPrefixes: config.publicReadPrefixes,
        uploads: config.uploads,
      }),
    );
    const bundle = bundleHandler();
    const fn = new aws.lambda.Function(
      `${name}-function`,
      {
        name: `${name}-signer`,
        role: role.arn,
        runtime: config.runtime,
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) }),
        sourceCodeHash: bundle.sha256,
        memorySize: config.memorySize,
        timeout: config.timeoutSeconds,
        loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
        environment: {
          variables: {
            [CONFIG_ENV]: handlerConfig.apply((c) => JSON.stringify(c)),
            [SIGNING_KEY_PARAMETER_ENV]: signingKeyParameter.name,
          },
        },
        tags,
      },
      parent,
    );
    const functionUrl = new aws.lambda.FunctionUrl(
      `${name}-url`,
      {
        functionName: fn.name,
        authorizationType: config.auth.mode === "iam" ? "AWS_IAM" : "NONE",
        ...(cors
          ? {
              cors: {
                allowOrigins: [...cors.api.allowOrigins],
                allowMethods: [...cors.api.allowMethods],
                allowHeaders: [...cors.api.allowHeaders],
                exposeHeaders: [...cors.api.exposeHeaders],
                maxAge: cors.api.maxAgeSeconds,
              },
            }
          : {}),
      },
      parent,
    );
    if (config.auth.mode !== "iam") {
      // Function URLs created since October 2025 need both permissions (Lambda Developer Guide,
      // "Control access to Lambda function URLs"); the second is limited to calls through the URL.
      new aws.lambda.Permission(
        `${name}-url-public-invoke-url`,
        {
          function: fn.name,
          action: "lambda:InvokeFunctionUrl",
          principal: "*",
          functionUrlAuthType: "NONE",
        },
        parent,
      );
      new aws.lambda.Permission(
        `${name}-url-public-invoke`,
        { function: fn.name, action: "lambda:InvokeFunction", principal: "*", invokedViaFunctionUrl: true },
        parent,
      );
    }

    this.apiUrl = functionUrl.functionUrl;
    this.cdnDomainName = cdnDomainName;
    this.bucketName = bucket.bucket;
    this.distributionId = distribution.id;
    this.keyGroupId = keyGroup.id;
    this.functionName = fn.name;
    this.publicKeyIds = pulumi.output(
      Object.fromEntries(keys.map((k) => [k.name, k.publicKey.id])),
    ) as pulumi.Output<Record<string, string>>;
    this.signingKeyParameterName = signingKeyParameter.name;
    this.invokePolicy = fn.arn.apply((arn) => JSON.stringify(invokeFunctionUrlPolicy(arn)));
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
