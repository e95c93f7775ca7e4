/**
 * IAM and resource policies as plain data, built by pure functions from resolved ARNs so that
 * tests can read them whole.
 */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export const policyDocument = (...Statement: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement,
});

export interface BucketPolicyInputs {
  readonly bucketArn: string;
  readonly distributionArn: string;
  /**
   * With `denyDirectReads`: the principals that may still read objects without CloudFront, the
   * function's role first, then any break-glass roles. Without it, undefined.
   */
  readonly directReaders?: readonly string[];
}

/** Object reads, denied to everyone but this distribution and `directReaders`. */
export const DIRECT_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"];

/**
 * CloudFront reads through Origin Access Control, and only this distribution (AWS:SourceArn);
 * every request without TLS is refused. Read URLs name an object version (`?versionId=`), and S3
 * serves GetObject with a versionId only to a principal holding `s3:GetObjectVersion` (Amazon S3 API
 * Reference, "GetObject", Permissions; CloudFront forwards the query string because the cache policy
 * keys on it). `s3:ListBucket` is there only so that S3 answers a missing key with 404 rather than
 * 403 (without it S3 hides whether the key exists); the handler never signs the empty key, so no
 * listing can be fetched through the distribution. The Deny names `s3:*` on purpose: a deny is safer
 * the wider it is, and no Allow here uses a wildcard action.
 */
export function bucketPolicy(p: BucketPolicyInputs): PolicyDocument {
  const { bucketArn, distributionArn } = p;
  const statements: PolicyStatement[] = [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "AllowCloudFrontOriginAccessControlRead",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"],
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
    },
  ];
  if (p.directReaders) {
    // An identity policy with s3:GetObject on `*` (an administrator, a data-platform role) would
    // otherwise read the bucket directly: within one account, an Allow in either the identity or the
    // resource policy is enough, and only an explicit Deny overrides both (IAM User Guide, "Policy
    // evaluation logic"). The Deny applies only when both keys differ, so one match lifts it: the
    // distribution's requests carry its AWS:SourceArn, the role's carry aws:PrincipalArn (the role's
    // ARN for every session of it); any other caller differs in both, a key the request lacks
    // counting as different for a negated operator (IAM User Guide, "IAM JSON policy elements:
    // Condition operators"; "AWS global condition context keys", aws:PrincipalArn and
    // aws:SourceArn). It denies reads only, never s3:PutBucketPolicy or s3:DeleteBucketPolicy, so an
    // administrator can always lift it; the README describes the break-glass readers and the
    // `denyDirectReads: false` switch.
    statements.push({
      Sid: "DenyDirectReads",
      Effect: "Deny",
      Principal: "*",
      Action: [...DIRECT_READ_ACTIONS],
      Resource: `${bucketArn}/*`,
      Condition: {
        ArnNotEquals: { "aws:PrincipalArn": [...p.directReaders], "aws:SourceArn": distributionArn },
      },
    });
  }
  return policyDocument(...statements);
}

export function lambdaAssumeRolePolicy(): PolicyDocument {
  return policyDocument({
    Sid: "LambdaAssumesRole",
    Effect: "Allow",
    Principal: { Service: "lambda.amazonaws.com" },
    Action: "sts:AssumeRole",
  });
}

export interface FunctionPolicyInputs {
  readonly bucketArn: string;
  /** The store's distribution (`arn:PARTITION:cloudfront::ACCOUNT:distribution/ID`), which a purge invalidates. */
  readonly distributionArn: string;
  readonly logGroupArn: string;
  readonly signingKeyParameterArn: string;
  readonly kmsKeyArn: string;
  readonly region: string;
  /** The partition's DNS suffix, for service endpoint names (`amazonaws.com.cn` in China). */
  readonly dnsSuffix: string;
  /** With SSE-KMS: the key that encrypts the objects. */
  readonly dataKeyArn?: string;
}

/**
 * `kms:ViaService` names the calling service's endpoint, `ssm.REGION.DNS_SUFFIX` (AWS KMS Developer
 * Guide, "kms:ViaService"; the suffix differs in the China regions).
 */
export const viaSsm = (region: string, dnsSuffix: string) => ({
  StringEquals: { "kms:ViaService": `ssm.${region}.${dnsSuffix}` },
});

/**
 * What the function needs and nothing more. A presigned URL carries the signer's permissions, so
 * the role holds exactly the S3 actions the URLs it hands out perform. Reads go through CloudFront;
 * the function itself only looks the object up (HeadObject) to pin the read URL to its version.
 */
export function functionRolePolicy(p: FunctionPolicyInputs): PolicyDocument {
  return policyDocument(
    {
      Sid: "WriteLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${p.logGroupArn}:*`,
    },
    {
      // s3:PutObject also covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload
      // (Amazon S3 User Guide, "Multipart upload API and permissions").
      Sid: "PresignObjectWrites",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      Resource: `${p.bucketArn}/*`,
    },
    {
      // A purge deletes every version and delete marker of a key: DeleteObject (and DeleteObjects)
      // with a versionId needs s3:DeleteObjectVersion besides s3:DeleteObject (Amazon S3 API
      // Reference, "DeleteObject", Permissions). The DELETE URLs the function presigns name no
      // versionId, and their signature covers the query string, so no holder of one can add it.
      Sid: "PurgeObjectVersions",
      Effect: "Allow",
      Action: "s3:DeleteObjectVersion",
      Resource: `${p.bucketArn}/*`,
    },
    {
      // A purge also drops the key's cached copies from this distribution, and only this one
      // (Service Authorization Reference, "Actions, resources, and condition keys for Amazon
      // CloudFront": CreateInvalidation on the distribution resource type).
      Sid: "InvalidateOwnDistribution",
      Effect: "Allow",
      Action: "cloudfront:CreateInvalidation",
      Resource: p.distributionArn,
    },
    {
      // HeadObject needs s3:GetObject, and s3:GetObjectVersion when it names a versionId (Amazon S3
      // API Reference, "HeadObject", Permissions); no object bytes pass through the function. The same
      // two let CopyObject and UploadPartCopy read a copy's source, a move's and a restore's included
      // (API Reference, "CopyObject", Permissions); the destination is an s3:PutObject.
      Sid: "LookUpObjectVersions",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: `${p.bucketArn}/*`,
    },
    {
      // Without s3:ListBucket, HeadObject of a missing key is 403 Access Denied rather than 404 Not
      // Found (Amazon S3 API Reference, "HeadObject", Permissions), and the function could not tell a
      // missing key from a refused one. s3:ListBucket is also ListObjectsV2 (the API's listings), and
      // s3:ListBucketVersions is ListObjectVersions (`?versions`); both are bucket-level actions.
      Sid: "ListAndTellMissingKeysApart",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketVersions"],
      Resource: p.bucketArn,
    },
    {
      Sid: "ReadSigningKey",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: p.signingKeyParameterArn,
    },
    {
      Sid: "DecryptSigningKeyThroughSsm",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: p.kmsKeyArn,
      Condition: viaSsm(p.region, p.dnsSuffix),
    },
    ...(p.dataKeyArn
      ? [
          {
            // With SSE-KMS, S3 calls KMS as the requester of each presigned URL, which is this role:
            // a PUT needs kms:GenerateDataKey, a multipart upload kms:Decrypt as well (Amazon S3 User
            // Guide, "Multipart upload API and permissions"; "Specifying server-side encryption with
            // AWS KMS"), and HeadObject of such an object kms:Decrypt. Only through S3.
            Sid: "UseDataKeyThroughS3",
            Effect: "Allow" as const,
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: p.dataKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${p.region}.${p.dnsSuffix}` } },
          },
        ]
      : []),
  );
}

/**
 * For auth mode `iam`: attach this to the roles or users that call the API. Function URLs created
 * since October 2025 need both actions (Lambda Developer Guide, "Control access to Lambda function
 * URLs"). `lambda:InvokeFunction` is granted only through the URL, with the Boolean condition key
 * `lambda:InvokedViaFunctionUrl` (same page, the cross-account example; Service Authorization
 * Reference, "Actions, resources, and condition keys for AWS Lambda", InvokeFunction): a holder who
 * called Invoke directly could hand the function an event of their own making, whose
 * `requestContext.authorizer.iam` the handler would trust. Through the URL, Lambda writes that part
 * of the event itself from the SigV4 signature it checked.
 */
export function invokeFunctionUrlPolicy(functionArn: string): PolicyDocument {
  return policyDocument(
    {
      Sid: "InvokeSignedFileStoreApiUrl",
      Effect: "Allow",
      Action: "lambda:InvokeFunctionUrl",
      Resource: functionArn,
    },
    {
      Sid: "InvokeSignedFileStoreApiOnlyThroughUrl",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: functionArn,
      Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
    },
  );
}
