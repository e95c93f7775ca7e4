/**
 * The schema the analyzer must generate for the component package, written out by hand: the
 * descriptions are the doc comments of components/provider/args.ts and component.ts.
 */
export type Prop = Record<string, unknown>;
const opt = (type: string, description: string): Prop => ({ type, optional: true, plain: true, description });
const req = (type: string, description: string): Prop => ({ type, plain: true, description });
const optList = (items: Prop, description: string): Prop => ({
  type: "array",
  items: { ...items, plain: true },
  optional: true,
  plain: true,
  description,
});
const strings = { type: "string" };
const optRef = (name: string, description: string): Prop => ({
  $ref: `#/types/signed-file-store:index:${name}`,
  optional: true,
  plain: true,
  description,
});
const reqRef = (name: string, description: string): Prop => ({
  $ref: `#/types/signed-file-store:index:${name}`,
  plain: true,
  description,
});
const enumOf = (...members: Array<[string, string, string?]>): Prop => ({
  type: "string",
  enum: members.map(([name, value, description]) =>
    description ? { name, value, description } : { name, value },
  ),
});
const out = (type: string, description: string): Prop => ({ type, description });

export const INPUTS: Record<string, Prop> = {
  expirySeconds: opt(
    "number",
    "Default lifetime of signed URLs in seconds, at most maxReadExpirySeconds. Default 300.",
  ),
  maxReadExpirySeconds: opt(
    "number",
    "The longest read URL a caller may ask for with `?expires=` (share links), 1 to 604800. Default 86400.",
  ),
  maxWriteExpirySeconds: opt(
    "number",
    "The longest a write URL lives; it is signed with the function role's temporary credentials. Default and maximum 3600.",
  ),
  auth: optRef("Auth", "Who may call the API. Default auth mode `iam`."),
  publicReadPrefixes: optList(
    strings,
    "Key prefixes (each ending in `/`) anyone may read without credentials; needs auth mode `jwt` or `public`. Default none.",
  ),
  shared: optRef(
    "SharedSigning",
    "A SignedFileStoreAccount's `shared` output: its CDN policies and signing identity replace the\n" +
      "store's own. With signingKeys too, those earlier keys stay trusted (none signs) while their URLs\n" +
      "expire. Default none.",
  ),
  signingKeys: optList(
    { $ref: "#/types/signed-file-store:index:SigningKey" },
    "The stack's CloudFront key pairs, all in the key group, so keys can be rotated. Default one ECDSA P-256 key named `primary`.",
  ),
  activeSigningKey: opt("string", "Name of the key that signs. Default the first of signingKeys."),
  signingKeyRotationDays: opt(
    "number",
    "Rotate the signing key every this many days, instead of naming keys in signingKeys: at each\n" +
      "`pulumi up` the current period's key signs, the keys of the two periods before it stay trusted\n" +
      "and those of the next two are published ahead. Run `pulumi up` at least once a period; the\n" +
      "period must cover maxReadExpirySeconds plus the window its expiry is rounded up to. Default none.",
  ),
  signingKeyAlgorithm: optRef(
    "KeyAlgorithm",
    "Algorithm of the scheduled keys, `ecdsa-p256` or `rsa-2048`. Default `ecdsa-p256`.",
  ),
  hashAlgorithm: optRef(
    "HashAlgorithm",
    "Digest for CloudFront signatures, `SHA1` or `SHA256`. Default `SHA256`.",
  ),
  versioning: opt("boolean", "Keep overwritten and deleted objects as noncurrent versions. Default true."),
  noncurrentVersionExpirationDays: opt("number", "Days before noncurrent versions expire. Default 30."),
  abortIncompleteMultipartUploadDays: opt(
    "number",
    "Days before incomplete multipart uploads are aborted; until then they can be resumed. Default 7.",
  ),
  forceDestroy: opt(
    "boolean",
    "Let `pulumi destroy` delete a bucket that still holds objects. Default false.",
  ),
  priceClass: optRef(
    "PriceClass",
    "CloudFront price class: `PriceClass_100`, `PriceClass_200` or `PriceClass_All`. Default `PriceClass_100`.",
  ),
  customDomain: optRef(
    "CustomDomain",
    "Serve downloads from your own domain. Default the `*.cloudfront.net` name.",
  ),
  memorySize: opt("number", "Function memory in MB, 128 to 10240. Default 256."),
  timeoutSeconds: opt("number", "Function timeout in seconds, 1 to 900. Default 60."),
  logRetentionDays: opt(
    "number",
    "Days the function's logs are kept, one of the periods CloudWatch Logs accepts. Default 30.",
  ),
  runtime: optRef("LambdaRuntime", "Lambda runtime, `nodejs22.x` or `nodejs24.x`. Default `nodejs24.x`."),
  tags: {
    type: "object",
    additionalProperties: { type: "string", plain: true },
    optional: true,
    plain: true,
    description: "Tags for every taggable resource.",
  },
  maxUploadBytes: opt(
    "number",
    "Largest upload in bytes, single or multipart. Default S3's own limit, 5 TiB.",
  ),
  allowedContentTypes: optList(
    strings,
    "Content types uploads may declare, `type/subtype` or `type/*`. Default any.",
  ),
  partSizeBytes: opt("number", "Part size offered to multipart clients, 5 MiB to 5 GiB. Default 8 MiB."),
  requireChecksum: opt(
    "boolean",
    "Refuse writes that do not declare the checksum of their bytes (x-amz-checksum-crc64nvme or -sha256). Default false.",
  ),
  allowedMetadata: optList(
    strings,
    "User metadata names (x-amz-meta-NAME, lower case) uploads may set; any other is refused. Default none.",
  ),
  cors: optRef("Cors", "Browser origins allowed to call the API and upload to the bucket. Default none."),
  denyDirectReads: opt(
    "boolean",
    "Deny object reads in the bucket policy to every principal but the distribution and the function's role. Default true.",
  ),
  directReadPrincipalArns: optList(
    strings,
    "IAM role or user ARNs that may still read objects directly while denyDirectReads is on. Default none.",
  ),
  encryption: optRef("Encryption", "Encryption at rest. Default mode `sse-s3`."),
  events: opt("boolean", "Send the bucket's events to the account's default EventBridge bus. Default false."),
  reservedConcurrency: opt(
    "number",
    "The most instances of the function that run at once; requests beyond are throttled (429). Default none.",
  ),
  errorRateAlarm: optRef(
    "ErrorRateAlarm",
    "A CloudWatch alarm on the share of API requests answered 5xx. Default none.",
  ),
};

export const OUTPUTS: Record<string, Prop> = {
  apiUrl: out("string", "The API's base URL (the function URL), ending in `/`."),
  cdnDomainName: out(
    "string",
    "The host name signed download URLs use: the first custom alias, or the distribution's.",
  ),
  bucketName: out("string", "The private bucket's name."),
  bucketArn: out("string", "The private bucket's ARN."),
  distributionId: out("string", "The CloudFront distribution's ID."),
  distributionArn: out("string", "The CloudFront distribution's ARN."),
  keyGroupId: out("string", "The ID of the key group every behavior trusts."),
  functionName: out("string", "The signing function's name."),
  functionArn: out("string", "The signing function's ARN."),
  roleArn: out(
    "string",
    "The ARN of the function's execution role, for policies attached outside the component.",
  ),
  publicKeyIds: {
    type: "object",
    additionalProperties: { type: "string" },
    description: "CloudFront public key IDs by signing key name.",
  },
  signingKeyParameterName: out("string", "The SSM parameter that holds the active signing key."),
  invokePolicy: out("string", "For auth mode `iam`: the identity policy callers need."),
};

export const TYPES: Record<string, Prop> = {
  "signed-file-store:index:Auth": {
    type: "object",
    properties: {
      mode: reqRef(
        "AuthMode",
        "`iam` (the default): the function URL's auth type is AWS_IAM and callers sign with SigV4. `jwt`:\n" +
          "bearer tokens verified against an issuer's key set. `public`: anyone may read and write (demos only).",
      ),
      issuer: opt("string", "jwt: the expected `iss` claim."),
      audience: opt("string", "jwt: the expected `aud` claim."),
      jwksUrl: opt("string", "jwt: the issuer's JSON Web Key Set URL (https)."),
      readPrefixes: optList(
        strings,
        "jwt: key-prefix templates over token claims, each ending in `/`, that a caller may read. Default `{sub}/`.",
      ),
      writePrefixes: optList(strings, "jwt: key-prefix templates a caller may write. Default `{sub}/`."),
      deletePrefixes: optList(
        strings,
        "jwt: key-prefix templates a caller may delete. Default the write prefixes.",
      ),
      algorithms: optList(
        strings,
        "jwt: accepted JWS algorithms. Default every asymmetric one; `none` and HMAC are never accepted.",
      ),
      scopes: optRef(
        "JwtScopes",
        "jwt: the scope a token's `scope` or `scp` claim must hold for each action. Default none, but `purge` for purges.",
      ),
    },
    required: ["mode"],
  },
  "signed-file-store:index:JwtScopes": {
    type: "object",
    properties: {
      read: opt("string", "Scope reads need. Default none."),
      write: opt("string", "Scope writes need. Default none."),
      delete: opt("string", "Scope deletes need. Default none."),
      purge: opt(
        "string",
        "Scope a purge (every version deleted, the CDN's copies invalidated) needs besides the delete right. Default `purge`.",
      ),
    },
    required: [],
  },
  "signed-file-store:index:SharedSigning": {
    type: "object",
    properties: {
      cachePolicyId: out("string", "The account's cache policy ID."),
      responseHeadersPolicyId: out("string", "The account's response headers policy ID."),
      keyGroupId: out("string", "The key group every store's distribution trusts."),
      keyPairId: out("string", "The ID of the public key that signs now."),
      signingKeyParameterName: out("string", "The SSM SecureString holding the active signing key."),
      signingKeyParameterArn: out(
        "string",
        "The parameter's ARN: the only parameter a store's function may read.",
      ),
      signingKeyKmsKeyArn: out(
        "string",
        "The KMS key that encrypts the parameter: the only key a store's function may decrypt with.",
      ),
      maxReadExpirySeconds: out(
        "number",
        "The longest read URL a store of the account may hand out, in seconds: a plain number when a\n" +
          "store is given it (the account's own maxReadExpirySeconds), so the store can check its own.",
      ),
    },
    required: [
      "cachePolicyId",
      "keyGroupId",
      "keyPairId",
      "maxReadExpirySeconds",
      "responseHeadersPolicyId",
      "signingKeyKmsKeyArn",
      "signingKeyParameterArn",
      "signingKeyParameterName",
    ],
  },
  "signed-file-store:index:AuthMode": enumOf(
    ["Iam", "iam", "The function URL's auth type is AWS_IAM: callers sign with SigV4."],
    ["Jwt", "jwt", "Bearer tokens verified against an issuer's key set."],
    ["Public", "public", "Anyone may read and write (demos only)."],
  ),
  "signed-file-store:index:KeyAlgorithm": enumOf(
    ["EcdsaP256", "ecdsa-p256", "ECDSA P-256: shorter URLs, faster signing."],
    ["Rsa2048", "rsa-2048", "RSA 2048-bit."],
  ),
  "signed-file-store:index:HashAlgorithm": enumOf(["Sha1", "SHA1"], ["Sha256", "SHA256"]),
  "signed-file-store:index:PriceClass": enumOf(
    ["PriceClass100", "PriceClass_100"],
    ["PriceClass200", "PriceClass_200"],
    ["PriceClassAll", "PriceClass_All"],
  ),
  "signed-file-store:index:LambdaRuntime": enumOf(["Nodejs22", "nodejs22.x"], ["Nodejs24", "nodejs24.x"]),
  "signed-file-store:index:EncryptionMode": enumOf(
    ["SseS3", "sse-s3", "S3's own keys."],
    ["SseKms", "sse-kms", "A customer managed KMS key."],
  ),
  "signed-file-store:index:SigningKey": {
    type: "object",
    properties: {
      name: req("string", "Stable name of this key pair in the stack (letters, digits, `-`)."),
      algorithm: optRef(
        "KeyAlgorithm",
        "`ecdsa-p256` (the default: shorter URLs, faster signing) or `rsa-2048`.",
      ),
    },
    required: ["name"],
  },
  "signed-file-store:index:CustomDomain": {
    type: "object",
    properties: {
      certificateArn: req(
        "string",
        "ACM certificate ARN; CloudFront only takes certificates from us-east-1.",
      ),
      aliases: {
        type: "array",
        items: { type: "string", plain: true },
        plain: true,
        description: "Host names the distribution answers to; the first one is used in signed URLs.",
      },
    },
    required: ["aliases", "certificateArn"],
  },
  "signed-file-store:index:Cors": {
    type: "object",
    properties: {
      allowedOrigins: {
        type: "array",
        items: { type: "string", plain: true },
        plain: true,
        description:
          "Browser origins (`https://app.example.com`) allowed to call the API and upload to the bucket.",
      },
    },
    required: ["allowedOrigins"],
  },
  "signed-file-store:index:Encryption": {
    type: "object",
    properties: {
      mode: reqRef(
        "EncryptionMode",
        "`sse-s3` (the default): S3's own keys. `sse-kms`: a customer managed KMS key.",
      ),
      kmsKeyArn: opt("string", "sse-kms: a key you manage, by its ARN; default a key the stack creates."),
    },
    required: ["mode"],
  },
  "signed-file-store:index:ErrorRateAlarm": {
    type: "object",
    properties: {
      threshold: req("number", "Alarm above this share of 5xx answers, between 0 and 1 (0.05 = 5 %)."),
      periodSeconds: opt("number", "Length of each evaluated period, a multiple of 60 seconds. Default 300."),
      evaluationPeriods: opt(
        "number",
        "Consecutive periods above the threshold before the alarm fires. Default 1.",
      ),
      actions: optList(
        strings,
        "ARNs notified when the alarm fires and when it clears (SNS topics, for example). Default none.",
      ),
    },
    required: ["threshold"],
  },
};

export const DESCRIPTION =
  "A private bucket, a CloudFront distribution that only serves signed URLs, and a Lambda function\n" +
  "URL that decides who may do what to which key and answers with a 307 to a signed URL.";

/** The account component's inputs, outputs and description. */
export const ACCOUNT_INPUTS: Record<string, Prop> = {
  maxReadExpirySeconds: opt(
    "number",
    "The longest read URL any store of the account may hand out, 1 to 604800 seconds; a rotation period must cover it. Default 86400.",
  ),
  signingKeys: optList(
    { $ref: "#/types/signed-file-store:index:SigningKey" },
    "The account's CloudFront key pairs, all in its key group. Default one ECDSA P-256 key named `primary`.",
  ),
  activeSigningKey: opt("string", "Name of the key that signs. Default the first of signingKeys."),
  signingKeyRotationDays: opt(
    "number",
    "Rotate the shared signing key every this many days, as a store's own would. Default none.",
  ),
  signingKeyAlgorithm: optRef(
    "KeyAlgorithm",
    "Algorithm of the scheduled keys, `ecdsa-p256` or `rsa-2048`. Default `ecdsa-p256`.",
  ),
  tags: {
    type: "object",
    additionalProperties: { type: "string", plain: true },
    optional: true,
    plain: true,
    description: "Tags for every taggable resource.",
  },
};

export const ACCOUNT_OUTPUTS: Record<string, Prop> = {
  shared: {
    $ref: "#/types/signed-file-store:index:SharedSigning",
    description: "What a SignedFileStore takes as its `shared` arg.",
  },
  keyGroupId: out("string", "The shared key group's ID."),
  publicKeyIds: {
    type: "object",
    additionalProperties: { type: "string" },
    description: "CloudFront public key IDs by signing key name.",
  },
  signingKeyParameterName: out("string", "The SSM parameter that holds the active signing key."),
};

export const ACCOUNT_DESCRIPTION =
  "What every store in an AWS account can share, created once: the cache policy, the response\n" +
  "headers policy and one signing identity. Pass its `shared` output to each SignedFileStore.";
