import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CDN_BUCKET_READ_METHODS, CDN_CORS } from "../policies/cdn-cors";
import { corsRules } from "../policies/cors-rules";
import { bucketPolicy } from "../policies/iam";
import { type ChildScope, keepName } from "./names";

export interface Storage {
  readonly bucket: aws.s3.Bucket;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
}

/**
 * The S3 rules of the bucket's CORS configuration. Reads come through the CDN, which forwards a
 * preflight to S3 with `Origin` and `Access-Control-Request-*` and relays S3's verdict: S3 answers
 * 200 only when a rule matches and 403 otherwise (Amazon S3 API Reference, "OPTIONS object"), so a
 * rule admits GET and HEAD from any origin with any header; the CDN's response headers policy then
 * replaces S3's CORS headers with its own (origin override), which keeps components/policies/cdn-cors.ts the
 * one place where the read CORS is decided. Uploads and deletes go to S3 directly and stay limited
 * to the configured origins. S3 applies the first rule that matches the origin, method and headers
 * (Amazon S3 User Guide, "Elements of a CORS configuration").
 */
export function bucketCorsRules(
  corsOrigins: readonly string[],
  metadataNames: readonly string[] = [],
): aws.types.input.s3.BucketCorsConfigurationCorsRule[] {
  const rules: aws.types.input.s3.BucketCorsConfigurationCorsRule[] = [
    {
      id: "cdn-reads",
      allowedOrigins: ["*"],
      allowedMethods: [...CDN_BUCKET_READ_METHODS],
      allowedHeaders: ["*"],
      maxAgeSeconds: CDN_CORS.maxAgeSeconds,
    },
  ];
  if (corsOrigins.length > 0) {
    // Browsers upload straight to S3 with the presigned URLs; multipart clients read each part's ETag.
    const uploads = corsRules(corsOrigins, metadataNames).bucket;
    rules.push({
      id: "browser-uploads",
      allowedOrigins: [...uploads.allowOrigins],
      allowedMethods: [...uploads.allowMethods],
      allowedHeaders: [...uploads.allowHeaders],
      exposeHeaders: [...uploads.exposeHeaders],
      maxAgeSeconds: uploads.maxAgeSeconds,
    });
  }
  return rules;
}

/** The private bucket: owner-enforced, encrypted, versioned, with lifecycle and CORS. */
export function createStorage(
  { name, names, config, parent }: ChildScope,
  dataKeyArn: pulumi.Output<string> | undefined,
): Storage {
  const opts = { parent };
  const tags = config.tags;
  const bucket = new aws.s3.Bucket(
    `${name}-bucket`,
    // The provider appends a unique suffix, so the name is unique in every account and partition.
    { bucketPrefix: names.prefix("bucket", 37, true), forceDestroy: config.forceDestroy, tags },
    { parent, ...keepName("bucketPrefix") },
  );
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access-block`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      // With SSE-KMS, S3 Bucket Keys cut the KMS requests, and so their cost, by using a bucket-level
      // key for a while (Amazon S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket
      // Keys"); presigned PUTs need no encryption header, default encryption applies to them.
      rules: [
        {
          applyServerSideEncryptionByDefault: dataKeyArn
            ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: dataKeyArn }
            : { sseAlgorithm: "AES256" },
          bucketKeyEnabled: true,
        },
      ],
    },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: bucket.id, versioningConfiguration: { status: config.versioning ? "Enabled" : "Suspended" } },
    opts,
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
          abortIncompleteMultipartUpload: { daysAfterInitiation: config.abortIncompleteMultipartUploadDays },
        },
        {
          // A delete in a versioned bucket only adds a delete marker, and once the versions under it
          // have expired the marker is all that is left of the key; such markers pile up and slow
          // down listings of versions. This removes them as soon as they are alone (Amazon S3 User
          // Guide, "Managing delete markers"). ExpiredObjectDeleteMarker cannot share a rule's
          // Expiration with Days or Date (Amazon S3 API Reference, "LifecycleExpiration"), and needs
          // a rule without a tag filter: hence a rule of its own, on every key.
          id: "remove-expired-delete-markers",
          status: "Enabled",
          filter: {},
          expiration: { expiredObjectDeleteMarker: true },
        },
      ],
    },
    { parent, dependsOn: [versioning] },
  );
  new aws.s3.BucketCorsConfiguration(
    `${name}-cors`,
    { bucket: bucket.id, corsRules: bucketCorsRules(config.corsOrigins, config.uploads.allowedMetadata) },
    opts,
  );
  if (config.events) {
    // All of the bucket's events go to the default event bus; subscribers choose with rules (Amazon
    // S3 User Guide, "Using EventBridge"). A bucket has one notification configuration, so a
    // consumer cannot add SNS, SQS or Lambda notifications next to this one; EventBridge rules can
    // reach those targets instead.
    new aws.s3.BucketNotification(`${name}-events`, { bucket: bucket.id, eventbridge: true }, opts);
  }
  return { bucket, publicAccessBlock };
}

/**
 * Lets only `distribution` read the bucket, once the public access block is in place; with
 * `denyDirectReads`, no one else either, but the function's role and the break-glass readers.
 */
export function createBucketPolicy(
  { name, config, parent }: ChildScope,
  storage: Storage,
  distribution: aws.cloudfront.Distribution,
  functionRole: aws.iam.Role,
): aws.s3.BucketPolicy {
  return new aws.s3.BucketPolicy(
    `${name}-bucket-policy`,
    {
      bucket: storage.bucket.id,
      policy: pulumi.all([storage.bucket.arn, distribution.arn, functionRole.arn]).apply(([b, d, role]) =>
        JSON.stringify(
          bucketPolicy({
            bucketArn: b,
            distributionArn: d,
            ...(config.denyDirectReads ? { directReaders: [role, ...config.directReadPrincipalArns] } : {}),
          }),
        ),
      ),
    },
    // S3 refuses a bucket policy while the public access block is being set up.
    { parent, dependsOn: [storage.publicAccessBlock] },
  );
}
