import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs } from "../../components";
import { bundleHandler } from "../../components/bundle/function-bundle";
import type { PolicyDocument } from "../../components/policies/iam";
import {
  ACCOUNT,
  countByType,
  DISTRIBUTION_ID,
  environment,
  functionEnvironment,
  outputValue,
  REGION,
  type RecordedResource,
  resourcesOf,
  secretFields,
  settled,
  single,
} from "../support/pulumi-mocks";

type Json = Record<string, unknown>;
const policyOf = (r: RecordedResource, field = "policy") =>
  JSON.parse(String(r.inputs[field])) as PolicyDocument;

/** The logical names each child was told to wait for (`dependsOn`), by the child's logical name. */
const dependencies = new Map<string, string[]>();
const recordDependencies: pulumi.ResourceTransformation = ({ name, opts }) => {
  const dependsOn = opts.dependsOn === undefined ? [] : [opts.dependsOn].flat();
  dependencies.set(
    name,
    (dependsOn as pulumi.Resource[]).map((r) => pulumi.resourceName(r)),
  );
  return undefined;
};

async function build(name: string, args?: SignedFileStoreArgs) {
  const store = new SignedFileStore(name, args, { transformations: [recordDependencies] });
  const outputs = {
    apiUrl: await outputValue(store.apiUrl),
    cdnDomainName: await outputValue(store.cdnDomainName),
    bucketName: await outputValue(store.bucketName),
    distributionId: await outputValue(store.distributionId),
    keyGroupId: await outputValue(store.keyGroupId),
    functionName: await outputValue(store.functionName),
    publicKeyIds: await outputValue(store.publicKeyIds),
    signingKeyParameterName: await outputValue(store.signingKeyParameterName),
    invokePolicy: await outputValue(store.invokePolicy),
  };
  await settled();
  return { outputs, resources: resourcesOf(name) };
}

/** Every Allow in every policy document the component wrote, as [resource name, action]. */
function allowedActions(resources: readonly RecordedResource[]): Array<[string, string]> {
  const documents: Array<[string, PolicyDocument]> = [];
  for (const r of resources) {
    for (const field of ["policy", "assumeRolePolicy"]) {
      if (typeof r.inputs[field] === "string") documents.push([r.name, JSON.parse(String(r.inputs[field]))]);
    }
  }
  return documents.flatMap(([name, doc]) =>
    doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action]).map((a): [string, string] => [name, a]),
    ),
  );
}

describe("SignedFileStore with no args", () => {
  let built: Awaited<ReturnType<typeof build>>;
  before(async () => {
    built = await build("files");
  });
  const find = (type: string) => single(built.resources, type);

  it("registers exactly this set of resources", () => {
    expect(countByType(built.resources)).to.deep.equal({
      "signed-file-store:index:SignedFileStore": 1,
      "aws:s3/bucket:Bucket": 1,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
      "aws:s3/bucketVersioning:BucketVersioning": 1,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
      "aws:s3/bucketPolicy:BucketPolicy": 1,
      "tls:index/privateKey:PrivateKey": 1,
      "aws:cloudfront/publicKey:PublicKey": 1,
      "aws:cloudfront/keyGroup:KeyGroup": 1,
      "aws:cloudfront/originAccessControl:OriginAccessControl": 1,
      "aws:cloudfront/distribution:Distribution": 1,
      "aws:cloudfront/cachePolicy:CachePolicy": 1,
      "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": 1,
      "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": 1,
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicy:RolePolicy": 1,
      "aws:kms/key:Key": 1,
      "aws:ssm/parameter:Parameter": 1,
      "aws:cloudwatch/logGroup:LogGroup": 1,
      "aws:lambda/function:Function": 1,
      "aws:lambda/functionUrl:FunctionUrl": 1,
    });
  });

  it("keeps every physical name as it was created: later changes to a name are ignored", () => {
    const kept = built.resources
      .filter((r) => r.ignoreChanges.length > 0)
      .map((r) => [r.type, r.ignoreChanges])
      .sort();
    expect(kept).to.deep.equal(
      [
        ["aws:cloudfront/cachePolicy:CachePolicy", ["name"]],
        ["aws:cloudfront/keyGroup:KeyGroup", ["name"]],
        ["aws:cloudfront/originAccessControl:OriginAccessControl", ["name"]],
        ["aws:cloudfront/publicKey:PublicKey", ["namePrefix"]],
        ["aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", ["name"]],
        ["aws:cloudwatch/logGroup:LogGroup", ["name"]],
        ["aws:iam/role:Role", ["namePrefix"]],
        ["aws:iam/rolePolicy:RolePolicy", ["name"]],
        ["aws:lambda/function:Function", ["name"]],
        ["aws:s3/bucket:Bucket", ["bucketPrefix"]],
        ["aws:ssm/parameter:Parameter", ["name"]],
      ].sort(),
    );
  });

  it("blocks every kind of public access to the bucket", () => {
    expect(find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.deep.equal({
      bucket: "files-bucket-id",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });

  it("enforces bucket ownership, default encryption and versioning with a lifecycle", () => {
    expect(find("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs).to.deep.equal({
      bucket: "files-bucket-id",
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    expect(
      find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs,
    ).to.deep.equal({
      bucket: "files-bucket-id",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });
    expect(find("aws:s3/bucketVersioning:BucketVersioning").inputs).to.deep.equal({
      bucket: "files-bucket-id",
      versioningConfiguration: { status: "Enabled" },
    });
    expect(
      find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules,
    ).to.deep.equal([
      {
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: 30 },
      },
      {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
      {
        id: "remove-expired-delete-markers",
        status: "Enabled",
        filter: {},
        expiration: { expiredObjectDeleteMarker: true },
      },
    ]);
    expect(find("aws:s3/bucket:Bucket").inputs.forceDestroy).to.equal(false);
  });

  it("never puts ExpiredObjectDeleteMarker in an expiration with Days or Date, which S3 refuses", () => {
    const rules = find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs
      .rules as Array<{ expiration?: Record<string, unknown>; filter?: Record<string, unknown> }>;
    const withMarker = rules.filter((r) => r.expiration?.expiredObjectDeleteMarker === true);
    expect(withMarker).to.have.length(1);
    for (const rule of withMarker) {
      expect(Object.keys(rule.expiration ?? {})).to.deep.equal(["expiredObjectDeleteMarker"]);
      expect(rule.filter).to.deep.equal({});
    }
  });

  it("lets only this distribution read the bucket, over TLS only, and denies direct reads to all but the function", () => {
    const bucketArn = "arn:aws:s3:::files-bucket-8474b17897358c162fedde8474";
    expect(policyOf(find("aws:s3/bucketPolicy:BucketPolicy"))).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
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
          Condition: {
            StringEquals: {
              "AWS:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`,
            },
          },
        },
        {
          Sid: "DenyDirectReads",
          Effect: "Deny",
          Principal: "*",
          Action: ["s3:GetObject", "s3:GetObjectVersion"],
          Resource: `${bucketArn}/*`,
          Condition: {
            ArnNotEquals: {
              "aws:PrincipalArn": [`arn:aws:iam::${ACCOUNT}:role/files-function-64c7cae3a4e6f9803c6f7a86db`],
              "aws:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`,
            },
          },
        },
      ],
    });
  });

  it("reads the origin through an always-signing sigv4 OAC", () => {
    expect(find("aws:cloudfront/originAccessControl:OriginAccessControl").inputs).to.include({
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    const distribution = find("aws:cloudfront/distribution:Distribution").inputs as Json;
    expect(distribution.origins).to.deep.equal([
      {
        originId: "bucket",
        domainName: "files-bucket-8474b17897358c162fedde8474.s3.eu-west-1.amazonaws.com",
        originAccessControlId: "files-oac-id",
      },
    ]);
  });

  it("serves only signed URLs, cached by version, with the CDN CORS, HTTPS, HTTP/2 and HTTP/3", () => {
    const d = find("aws:cloudfront/distribution:Distribution").inputs as Json;
    expect(d.defaultCacheBehavior).to.deep.equal({
      targetOriginId: "bucket",
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS"],
      cachedMethods: ["GET", "HEAD"],
      cachePolicyId: "files-cache-policy-id",
      originRequestPolicyId: "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
      responseHeadersPolicyId: "files-cdn-cors-id",
      trustedKeyGroups: ["kg-files-key-group"],
      compress: true,
    });
    const ordered = (d.orderedCacheBehaviors as Json[] | undefined) ?? [];
    for (const behavior of ordered) expect(behavior.trustedKeyGroups).to.deep.equal(["kg-files-key-group"]);
    expect(d).to.include({
      httpVersion: "http2and3",
      priceClass: "PriceClass_100",
      enabled: true,
      isIpv6Enabled: true,
    });
    expect(d.viewerCertificate).to.deep.equal({ cloudfrontDefaultCertificate: true });
    expect(find("aws:cloudfront/keyGroup:KeyGroup").inputs.items).to.deep.equal([
      "K-files-public-key-primary",
    ]);
  });

  it("keys the cache on the path and exactly the read URL's version and disposition parameters", () => {
    const policy = find("aws:cloudfront/cachePolicy:CachePolicy");
    expect(policy.inputs).to.deep.equal({
      name: "files-cache-2136c570",
      comment: "files: one cached copy per object version",
      minTtl: 0,
      defaultTtl: 31536000,
      maxTtl: 31536000,
      parametersInCacheKeyAndForwardedToOrigin: {
        queryStringsConfig: {
          queryStringBehavior: "whitelist",
          queryStrings: { items: ["versionId", "etag", "response-content-disposition"] },
        },
        headersConfig: { headerBehavior: "none" },
        cookiesConfig: { cookieBehavior: "none" },
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      },
    });
  });

  it("answers browsers from any origin without credentials, preflights included", () => {
    expect(find("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs).to.deep.equal({
      name: "files-cors-2136c570",
      comment: "files: cross-origin downloads from any origin, without credentials",
      corsConfig: {
        accessControlAllowCredentials: false,
        accessControlAllowOrigins: { items: ["*"] },
        accessControlAllowMethods: { items: ["GET", "HEAD", "OPTIONS"] },
        accessControlAllowHeaders: {
          items: [
            "range",
            "if-range",
            "if-none-match",
            "if-match",
            "if-modified-since",
            "if-unmodified-since",
          ],
        },
        accessControlExposeHeaders: {
          items: [
            "etag",
            "content-length",
            "content-range",
            "content-disposition",
            "content-type",
            "x-amz-version-id",
            "last-modified",
            "accept-ranges",
          ],
        },
        accessControlMaxAgeSec: 600,
        originOverride: true,
      },
    });
    // S3 answers the preflights CloudFront forwards: GET and HEAD from any origin, nothing else.
    expect(find("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs).to.deep.equal({
      bucket: "files-bucket-id",
      corsRules: [
        {
          id: "cdn-reads",
          allowedOrigins: ["*"],
          allowedMethods: ["GET", "HEAD"],
          allowedHeaders: ["*"],
          maxAgeSeconds: 600,
        },
      ],
    });
  });

  it("generates an ECDSA P-256 signing key and publishes its public half", () => {
    expect(find("tls:index/privateKey:PrivateKey").inputs).to.deep.equal({
      algorithm: "ECDSA",
      ecdsaCurve: "P256",
    });
    expect(find("aws:cloudfront/publicKey:PublicKey").inputs.encodedKey).to.equal(
      "-----BEGIN PUBLIC KEY-----\nPUBLIC-files-signing-key-primary\n-----END PUBLIC KEY-----\n",
    );
  });

  it("keeps the private key with its key pair ID in an SSM SecureString under the stack's own KMS key, never in the environment", () => {
    const parameter = find("aws:ssm/parameter:Parameter").inputs;
    expect(parameter).to.include({
      type: "SecureString",
      keyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/files-signing-key-kms`,
    });
    expect(JSON.parse(String(parameter.value))).to.deep.equal({
      keyPairId: "K-files-public-key-primary",
      privateKeyPem:
        "-----BEGIN PRIVATE KEY-----\nSECRET-files-signing-key-primary\n-----END PRIVATE KEY-----\n",
    });
    expect(secretFields.has("files-signing-key.value")).to.equal(true);
    const env = functionEnvironment(built.resources);
    expect(Object.keys(env).sort()).to.deep.equal([
      "SIGNED_FILE_STORE_CONFIG",
      "SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER",
    ]);
    for (const value of Object.values(env)) {
      expect(value).to.not.include("PRIVATE KEY");
      expect(value).to.not.include("SECRET-");
    }
    expect(env.SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER).to.equal("files-signing-key-2136c570");
    const kms = find("aws:kms/key:Key");
    expect(kms.inputs.enableKeyRotation).to.equal(true);
  });

  it("lets the account's IAM policies manage the KMS key as AWS's default key policy does, and the function only decrypt through SSM", () => {
    expect(policyOf(find("aws:kms/key:Key"))).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EnableIamPolicies",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "FunctionDecryptsThroughSsm",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/files-function-64c7cae3a4e6f9803c6f7a86db` },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { StringEquals: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` } },
        },
      ],
    });
  });

  it("gives the function role exactly the permissions it needs", () => {
    const logGroupArn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/files-signer-2136c570`;
    expect(policyOf(find("aws:iam/rolePolicy:RolePolicy"))).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${logGroupArn}:*`,
        },
        {
          Sid: "PresignObjectWrites",
          Effect: "Allow",
          Action: [
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
          ],
          Resource: "arn:aws:s3:::files-bucket-8474b17897358c162fedde8474/*",
        },
        {
          Sid: "PurgeObjectVersions",
          Effect: "Allow",
          Action: "s3:DeleteObjectVersion",
          Resource: "arn:aws:s3:::files-bucket-8474b17897358c162fedde8474/*",
        },
        {
          Sid: "InvalidateOwnDistribution",
          Effect: "Allow",
          Action: "cloudfront:CreateInvalidation",
          Resource: `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`,
        },
        {
          Sid: "LookUpObjectVersions",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:GetObjectVersion"],
          Resource: "arn:aws:s3:::files-bucket-8474b17897358c162fedde8474/*",
        },
        {
          Sid: "ListAndTellMissingKeysApart",
          Effect: "Allow",
          Action: ["s3:ListBucket", "s3:ListBucketVersions"],
          Resource: "arn:aws:s3:::files-bucket-8474b17897358c162fedde8474",
        },
        {
          Sid: "ReadSigningKey",
          Effect: "Allow",
          Action: "ssm:GetParameter",
          Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/files-signing-key-2136c570`,
        },
        {
          Sid: "DecryptSigningKeyThroughSsm",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/files-signing-key-kms`,
          Condition: { StringEquals: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` } },
        },
      ],
    });
    expect(policyOf(find("aws:iam/role:Role"), "assumeRolePolicy")).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LambdaAssumesRole",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ],
    });
  });

  it("has no wildcard action in any Allow statement but the key policy's account statement", () => {
    const actions = allowedActions(built.resources);
    expect(actions.length).to.equal(20);
    expect(actions.filter(([, a]) => a.includes("*"))).to.deep.equal([["files-signing-key-kms", "kms:*"]]);
  });

  it("runs one deterministic bundle on arm64 with the configured runtime and logs", async () => {
    const fn = find("aws:lambda/function:Function").inputs as Json;
    const bundle = bundleHandler();
    const assets = await (fn.code as pulumi.asset.AssetArchive).assets;
    expect(Object.keys(assets)).to.deep.equal(Object.keys(bundle.files));
    expect(Object.keys(assets)).to.include("index.js");
    for (const [file, asset] of Object.entries(assets)) {
      expect(await (asset as pulumi.asset.StringAsset).text).to.equal(bundle.files[file]);
    }
    expect(fn).to.include({
      name: "files-signer-2136c570",
      runtime: "nodejs24.x",
      handler: "index.handler",
      memorySize: 256,
      timeout: 60,
      role: "arn:aws:iam::111122223333:role/files-function-64c7cae3a4e6f9803c6f7a86db",
      sourceCodeHash: bundle.sha256,
    });
    expect(fn.architectures).to.deep.equal(["arm64"]);
    expect(fn.loggingConfig).to.deep.equal({
      logFormat: "Text",
      logGroup: "/aws/lambda/files-signer-2136c570",
    });
    expect(find("aws:cloudwatch/logGroup:LogGroup").inputs).to.include({
      name: "/aws/lambda/files-signer-2136c570",
      retentionInDays: 30,
    });
  });

  it("configures the handler with the distribution, the active key and IAM auth", () => {
    const env = functionEnvironment(built.resources);
    expect(JSON.parse(env.SIGNED_FILE_STORE_CONFIG ?? "")).to.deep.equal({
      s3: { bucket: "files-bucket-8474b17897358c162fedde8474", region: REGION, dnsSuffix: "amazonaws.com" },
      cdnBaseUrl: "https://d111111abcdef8.cloudfront.net",
      keyPairId: "K-files-public-key-primary",
      hashAlgorithm: "SHA256",
      expirySeconds: 300,
      maxReadExpirySeconds: 86400,
      maxWriteExpirySeconds: 3600,
      auth: { mode: "iam" },
      publicReadPrefixes: [],
      uploads: {
        maxUploadBytes: 5 * 1024 ** 4,
        allowedContentTypes: [],
        partSizeBytes: 8 * 1024 ** 2,
        requireChecksum: false,
        allowedMetadata: [],
      },
      cdn: { distributionId: DISTRIBUTION_ID },
    });
  });

  it("puts the function URL behind AWS_IAM and grants no public invoke", () => {
    expect(find("aws:lambda/functionUrl:FunctionUrl").inputs).to.deep.equal({
      functionName: "files-signer-2136c570",
      authorizationType: "AWS_IAM",
    });
    expect(built.resources.filter((r) => r.type === "aws:lambda/permission:Permission")).to.have.length(0);
  });

  it("exports the outputs", () => {
    expect(built.outputs).to.deep.equal({
      apiUrl: "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/",
      cdnDomainName: "d111111abcdef8.cloudfront.net",
      bucketName: "files-bucket-8474b17897358c162fedde8474",
      distributionId: DISTRIBUTION_ID,
      keyGroupId: "kg-files-key-group",
      functionName: "files-signer-2136c570",
      publicKeyIds: { primary: "K-files-public-key-primary" },
      signingKeyParameterName: "files-signing-key-2136c570",
      invokePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "InvokeSignedFileStoreApiUrl",
            Effect: "Allow",
            Action: "lambda:InvokeFunctionUrl",
            Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:files-signer-2136c570`,
          },
          {
            Sid: "InvokeSignedFileStoreApiOnlyThroughUrl",
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:files-signer-2136c570`,
            Condition: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
          },
        ],
      }),
    });
  });
});

describe("SignedFileStore fully configured", () => {
  let built: Awaited<ReturnType<typeof build>>;
  const find = (type: string) => single(built.resources, type);
  before(async () => {
    built = await build("media", {
      expirySeconds: 120,
      maxReadExpirySeconds: 604800,
      maxWriteExpirySeconds: 900,
      auth: {
        mode: "jwt",
        issuer: "https://id.example.com/",
        audience: "media-api",
        jwksUrl: "https://id.example.com/.well-known/jwks.json",
        rules: { read: ["{sub}/", "shared/"], write: ["{sub}/"] },
      },
      publicReadPrefixes: ["public/"],
      signingKeys: [
        { name: "old", algorithm: "ecdsa-p256" },
        { name: "new", algorithm: "rsa-2048" },
      ],
      activeSigningKey: "new",
      hashAlgorithm: "SHA1",
      versioning: false,
      noncurrentVersionExpirationDays: 7,
      abortIncompleteMultipartUploadDays: 2,
      forceDestroy: true,
      priceClass: "PriceClass_All",
      customDomain: {
        certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abcd-1234",
        aliases: ["files.example.com"],
      },
      memorySize: 512,
      timeoutSeconds: 20,
      logRetentionDays: 90,
      runtime: "nodejs22.x",
      tags: { team: "media" },
      maxUploadBytes: 100 * 1024 ** 3,
      allowedContentTypes: ["image/*", "video/mp4"],
      partSizeBytes: 16 * 1024 ** 2,
      allowedMetadata: ["caption"],
      cors: { allowedOrigins: ["https://app.example.com", "http://localhost:5173"] },
      directReadPrincipalArns: ["arn:aws:iam::111122223333:role/incident-response"],
    });
  });

  it("lets the break-glass role read directly besides the function", () => {
    const deny = policyOf(find("aws:s3/bucketPolicy:BucketPolicy")).Statement.find(
      (s) => s.Sid === "DenyDirectReads",
    );
    expect(deny?.Condition).to.deep.equal({
      ArnNotEquals: {
        "aws:PrincipalArn": [
          `arn:aws:iam::${ACCOUNT}:role/media-function-54f91b2dc369addd74934ad465`,
          "arn:aws:iam::111122223333:role/incident-response",
        ],
        "aws:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`,
      },
    });
  });

  it("creates both key pairs, trusts both, signs with the active one", () => {
    const counts = countByType(built.resources);
    expect(counts["tls:index/privateKey:PrivateKey"]).to.equal(2);
    expect(counts["aws:cloudfront/publicKey:PublicKey"]).to.equal(2);
    expect(
      built.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => r.inputs),
    ).to.deep.equal([
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { algorithm: "RSA", rsaBits: 2048 },
    ]);
    expect(find("aws:cloudfront/keyGroup:KeyGroup").inputs.items).to.deep.equal([
      "K-media-public-key-old",
      "K-media-public-key-new",
    ]);
    expect(JSON.parse(String(find("aws:ssm/parameter:Parameter").inputs.value))).to.deep.equal({
      keyPairId: "K-media-public-key-new",
      privateKeyPem: "-----BEGIN PRIVATE KEY-----\nSECRET-media-signing-key-new\n-----END PRIVATE KEY-----\n",
    });
    expect(built.outputs.publicKeyIds).to.deep.equal({
      old: "K-media-public-key-old",
      new: "K-media-public-key-new",
    });
  });

  it("passes auth, prefixes, expiry and the custom domain to the handler", () => {
    const env = functionEnvironment(built.resources);
    expect(JSON.parse(env.SIGNED_FILE_STORE_CONFIG ?? "")).to.deep.equal({
      s3: { bucket: "media-bucket-ecb72108c29834794d0527c0bd", region: REGION, dnsSuffix: "amazonaws.com" },
      cdnBaseUrl: "https://files.example.com",
      keyPairId: "K-media-public-key-new",
      hashAlgorithm: "SHA1",
      expirySeconds: 120,
      maxReadExpirySeconds: 604800,
      maxWriteExpirySeconds: 900,
      auth: {
        mode: "jwt",
        issuer: "https://id.example.com/",
        audience: "media-api",
        jwksUrl: "https://id.example.com/.well-known/jwks.json",
        algorithms: [
          "RS256",
          "RS384",
          "RS512",
          "PS256",
          "PS384",
          "PS512",
          "ES256",
          "ES384",
          "ES512",
          "EdDSA",
        ],
        rules: { read: ["{sub}/", "shared/"], write: ["{sub}/"], delete: ["{sub}/"] },
      },
      publicReadPrefixes: ["public/"],
      uploads: {
        maxUploadBytes: 100 * 1024 ** 3,
        allowedContentTypes: ["image/*", "video/mp4"],
        partSizeBytes: 16 * 1024 ** 2,
        requireChecksum: false,
        allowedMetadata: ["caption"],
      },
      cdn: { distributionId: DISTRIBUTION_ID },
    });
    expect(built.outputs.cdnDomainName).to.equal("files.example.com");
  });

  it("configures CORS for the same origins on the function URL and bucket uploads; the CDN stays open to any origin", () => {
    const origins = ["https://app.example.com", "http://localhost:5173"];
    expect(find("aws:lambda/functionUrl:FunctionUrl").inputs.cors).to.deep.equal({
      allowOrigins: origins,
      allowMethods: ["GET", "HEAD", "PUT", "POST", "DELETE"],
      allowHeaders: [
        "accept",
        "authorization",
        "cache-control",
        "range",
        "if-range",
        "if-modified-since",
        "content-type",
        "content-disposition",
        "if-none-match",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha256",
        "x-amz-meta-caption",
        "x-amz-checksum-algorithm",
        "upload-length",
        "copy-source",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
      ],
      exposeHeaders: [
        "location",
        "object-key",
        "object-size",
        "object-etag",
        "object-version-id",
        "object-content-type",
        "object-last-modified",
        "object-content-disposition",
        "object-checksum-algorithm",
        "object-checksum-type",
        "object-checksum",
      ],
      maxAge: 600,
    });
    expect(find("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs).to.deep.equal({
      bucket: "media-bucket-id",
      corsRules: [
        {
          id: "cdn-reads",
          allowedOrigins: ["*"],
          allowedMethods: ["GET", "HEAD"],
          allowedHeaders: ["*"],
          maxAgeSeconds: 600,
        },
        {
          id: "browser-uploads",
          allowedOrigins: origins,
          allowedMethods: ["PUT", "DELETE"],
          allowedHeaders: [
            "content-type",
            "content-disposition",
            "if-none-match",
            "x-amz-checksum-crc64nvme",
            "x-amz-checksum-sha256",
            "x-amz-meta-caption",
          ],
          exposeHeaders: [
            "etag",
            "x-amz-version-id",
            "x-amz-checksum-crc64nvme",
            "x-amz-checksum-sha256",
            "x-amz-checksum-type",
          ],
          maxAgeSeconds: 600,
        },
      ],
    });
    const policy = find("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
    expect((policy.inputs.corsConfig as Json).accessControlAllowOrigins).to.deep.equal({ items: ["*"] });
    const behavior = find("aws:cloudfront/distribution:Distribution").inputs.defaultCacheBehavior as Record<
      string,
      unknown
    >;
    expect(behavior.responseHeadersPolicyId).to.equal(`${policy.name}-id`);
    expect(behavior.allowedMethods).to.deep.equal(["GET", "HEAD", "OPTIONS"]);
    expect(behavior.cachedMethods).to.deep.equal(["GET", "HEAD"]);
  });

  it("opens the function URL with auth NONE and exactly the two permissions a URL needs", () => {
    expect(find("aws:lambda/functionUrl:FunctionUrl").inputs.authorizationType).to.equal("NONE");
    const permissions = built.resources
      .filter((r) => r.type === "aws:lambda/permission:Permission")
      .map((r) => r.inputs);
    expect(permissions).to.deep.equal([
      {
        statementId: "PublicInvokeFunctionUrl",
        function: "media-signer-7372aa0c",
        action: "lambda:InvokeFunctionUrl",
        principal: "*",
        functionUrlAuthType: "NONE",
      },
      {
        statementId: "PublicInvokeFunctionThroughUrl",
        function: "media-signer-7372aa0c",
        action: "lambda:InvokeFunction",
        principal: "*",
        invokedViaFunctionUrl: true,
      },
    ]);
  });

  it("updates the function only once its role allows what its configuration names", () => {
    expect(dependencies.get("media-function")).to.deep.equal(["media-function-policy"]);
  });

  it("adds the public-invoke permissions only once the function URL exists", () => {
    const permissions = built.resources.filter((r) => r.type === "aws:lambda/permission:Permission");
    expect(permissions.map((r) => [r.name, dependencies.get(r.name)])).to.deep.equal([
      ["media-url-public-invoke-url", ["media-url"]],
      ["media-url-public-invoke", ["media-url"]],
    ]);
  });

  it("applies the domain, price class, sizes, retention, lifecycle and tags", () => {
    const d = find("aws:cloudfront/distribution:Distribution").inputs as Json;
    expect(d.aliases).to.deep.equal(["files.example.com"]);
    expect(d.viewerCertificate).to.deep.equal({
      acmCertificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abcd-1234",
      sslSupportMethod: "sni-only",
      minimumProtocolVersion: "TLSv1.2_2021",
    });
    expect(d.priceClass).to.equal("PriceClass_All");
    expect((d.defaultCacheBehavior as Json).trustedKeyGroups).to.deep.equal(["kg-media-key-group"]);
    expect(find("aws:lambda/function:Function").inputs).to.include({
      runtime: "nodejs22.x",
      memorySize: 512,
      timeout: 20,
    });
    expect(find("aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).to.equal(90);
    expect(find("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).to.deep.equal({
      status: "Suspended",
    });
    expect(find("aws:s3/bucket:Bucket").inputs).to.deep.equal({
      bucketPrefix: "media-bucket-",
      forceDestroy: true,
      tags: { team: "media" },
    });
    expect(
      (find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as Json[]).map(
        (r) => r.noncurrentVersionExpiration ?? r.abortIncompleteMultipartUpload ?? r.expiration,
      ),
    ).to.deep.equal([{ noncurrentDays: 7 }, { daysAfterInitiation: 2 }, { expiredObjectDeleteMarker: true }]);
  });

  it("still has no wildcard action in any Allow statement but the key policy's account statement", () => {
    expect(allowedActions(built.resources).filter(([, a]) => a.includes("*"))).to.deep.equal([
      ["media-signing-key-kms", "kms:*"],
    ]);
  });
});

describe("SignedFileStore with denyDirectReads off", () => {
  it("keeps only the TLS deny and the distribution's read", async () => {
    const built = await build("open", { denyDirectReads: false });
    expect(
      policyOf(single(built.resources, "aws:s3/bucketPolicy:BucketPolicy")).Statement.map((s) => s.Sid),
    ).to.deep.equal(["DenyInsecureTransport", "AllowCloudFrontOriginAccessControlRead"]);
  });
});

describe("SignedFileStore in the China partition", () => {
  let built: Awaited<ReturnType<typeof build>>;
  const find = (type: string) => single(built.resources, type);
  before(async () => {
    const saved = { ...environment };
    Object.assign(environment, { region: "cn-north-1", partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" });
    try {
      built = await build("china");
    } finally {
      Object.assign(environment, saved);
    }
  });

  it("presigns S3 URLs with the partition's DNS suffix", () => {
    const config = JSON.parse(functionEnvironment(built.resources).SIGNED_FILE_STORE_CONFIG ?? "");
    expect(config.s3).to.deep.equal({
      bucket: "china-bucket-ce74301d9beb4235849c90cfa0",
      region: "cn-north-1",
      dnsSuffix: "amazonaws.com.cn",
    });
  });

  it("names the partition's account root and SSM endpoint in the key and role policies", () => {
    const kms = policyOf(find("aws:kms/key:Key")).Statement;
    expect(kms.map((s) => [s.Principal, s.Condition])).to.deep.equal([
      [{ AWS: `arn:aws-cn:iam::${ACCOUNT}:root` }, undefined],
      [
        { AWS: `arn:aws:iam::${ACCOUNT}:role/china-function-d28e98cab221d146ec09c4cec3` },
        { StringEquals: { "kms:ViaService": "ssm.cn-north-1.amazonaws.com.cn" } },
      ],
    ]);
    const decrypt = policyOf(find("aws:iam/rolePolicy:RolePolicy")).Statement.find(
      (s) => s.Sid === "DecryptSigningKeyThroughSsm",
    );
    expect(decrypt?.Condition).to.deep.equal({
      StringEquals: { "kms:ViaService": "ssm.cn-north-1.amazonaws.com.cn" },
    });
  });
});

describe("SignedFileStore validation", () => {
  const cases: Array<[SignedFileStoreArgs, string]> = [
    [{ expirySeconds: 0 }, "[expirySeconds] must be between 1 and 604800, got 0"],
    [{ expirySeconds: 604801 }, "[expirySeconds] must be between 1 and 604800, got 604801"],
    [{ maxReadExpirySeconds: 0 }, "[maxReadExpirySeconds] must be between 1 and 604800, got 0"],
    [{ maxReadExpirySeconds: 604801 }, "[maxReadExpirySeconds] must be between 1 and 604800, got 604801"],
    [{ maxReadExpirySeconds: 1.5 }, "[maxReadExpirySeconds] must be between 1 and 604800, got 1.5"],
    [
      { expirySeconds: 600, maxReadExpirySeconds: 300 },
      "[expirySeconds] must not exceed maxReadExpirySeconds (300), got 600",
    ],
    [{ maxWriteExpirySeconds: 0 }, "[maxWriteExpirySeconds] must be between 1 and 3600, got 0"],
    [{ maxWriteExpirySeconds: 3601 }, "[maxWriteExpirySeconds] must be between 1 and 3600, got 3601"],
    [{ memorySize: 64 }, "[memorySize] must be between 128 and 10240, got 64"],
    [{ denyDirectReads: "yes" as never }, '[denyDirectReads] must be true or false, got "yes"'],
    [
      { directReadPrincipalArns: ["arn:aws:s3:::bucket"] },
      '[directReadPrincipalArns] must be a list of IAM role or user ARNs, got ["arn:aws:s3:::bucket"]',
    ],
    [
      { denyDirectReads: false, directReadPrincipalArns: ["arn:aws:iam::111122223333:role/x"] },
      '[directReadPrincipalArns] only applies with denyDirectReads, got ["arn:aws:iam::111122223333:role/x"]',
    ],
    [{ timeoutSeconds: 901 }, "[timeoutSeconds] must be between 1 and 900, got 901"],
    [{ maxUploadBytes: 0 }, "[maxUploadBytes] must be between 1 and 5497558138880, got 0"],
    [
      { allowedContentTypes: ["Image/PNG"] },
      '[allowedContentTypes] must be lower-case type/subtype or type/* entries, got ["Image/PNG"]',
    ],
    [{ partSizeBytes: 1024 }, "[partSizeBytes] must be between 5242880 and 5368709120, got 1024"],
    [
      { cors: { allowedOrigins: ["https://app.example.com/path"] } },
      '[cors.allowedOrigins] must be a list of origins like https://app.example.com, or ["*"], got ["https://app.example.com/path"]',
    ],
    [
      { logRetentionDays: 10 },
      "[logRetentionDays] must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 10",
    ],
    [
      { priceClass: "PriceClass_1" as never },
      '[priceClass] must be one of PriceClass_100, PriceClass_200, PriceClass_All, got "PriceClass_1"',
    ],
    [{ runtime: "nodejs18.x" as never }, '[runtime] must be one of nodejs22.x, nodejs24.x, got "nodejs18.x"'],
    [{ hashAlgorithm: "MD5" as never }, '[hashAlgorithm] must be one of SHA1, SHA256, got "MD5"'],
    [{ signingKeys: [] }, "[signingKeys] must hold 1 to 5 keys (a key group holds at most 5), got []"],
    [{ signingKeys: [{ name: "a" }, { name: "a" }] }, '[signingKeys] must have unique names, got ["a","a"]'],
    [
      { signingKeys: [{ name: "a b" }] },
      '[signingKeys[0].name] must be 1 to 40 letters, digits or -, got "a b"',
    ],
    [
      { signingKeys: [{ name: "a", algorithm: "ed25519" as never }] },
      '[signingKeys[0].algorithm] must be one of ecdsa-p256, rsa-2048, got "ed25519"',
    ],
    [{ activeSigningKey: "nope" }, '[activeSigningKey] must be one of primary, got "nope"'],
    [
      { publicReadPrefixes: ["public/"] },
      '[publicReadPrefixes] needs auth mode "jwt" or "public": with "iam" unsigned requests never reach the function, got ["public/"]',
    ],
    [
      { auth: { mode: "public" }, publicReadPrefixes: ["public"] },
      '[publicReadPrefixes[0]] must end with "/" so that it names a folder, got "public"',
    ],
    [
      { auth: { mode: "jwt", issuer: "", audience: "a", jwksUrl: "https://x" } },
      '[auth.issuer] must be a non-empty string, got ""',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "http://x" } },
      '[auth.jwksUrl] must be an https URL, got "http://x"',
    ],
    [
      {
        auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://x", rules: { write: ["{sub}"] } },
      },
      '[auth.rules.write[0]] must end with "/" so that it names a folder, got "{sub}"',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://x", algorithms: ["none"] } },
      '[auth.algorithms] must be a non-empty subset of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, got ["none"]',
    ],
    [{ auth: { mode: "basic" } as never }, '[auth.mode] must be one of iam, jwt, public, got "basic"'],
    [
      {
        customDomain: {
          certificateArn: "arn:aws:acm:eu-west-1:111122223333:certificate/x",
          aliases: ["a.example.com"],
        },
      },
      '[customDomain.certificateArn] must be an ACM certificate ARN in us-east-1, got "arn:aws:acm:eu-west-1:111122223333:certificate/x"',
    ],
    [
      { customDomain: { certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/x", aliases: [] } },
      "[customDomain.aliases] must be a non-empty list of host names, got []",
    ],
  ];
  cases.forEach(([args, message], i) => {
    it(`throws ${message.slice(0, 60)}`, () => {
      expect(() => new SignedFileStore(`invalid-${i}`, args)).to.throw(Error, message);
    });
  });
});

describe("function bundle", () => {
  it("is byte-identical when built twice from the same source", () => {
    const first = bundleHandler();
    const second = bundleHandler();
    expect(second.code).to.equal(first.code);
    expect(second.sha256).to.equal(first.sha256);
    expect(first.code).to.not.include("/work/");
    expect(first.code).to.include("handler");
  });
});
