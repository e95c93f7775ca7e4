import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs } from "../../../components";
import type { PolicyDocument } from "../../../components/policies/iam";
import {
  ACCOUNT,
  countByType,
  DISTRIBUTION_ID,
  REGION,
  type RecordedResource,
  resourcesOf,
  settled,
  single,
} from "../../support/pulumi-mocks";

const DISTRIBUTION_ARN = `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`;
const policyOf = (r: RecordedResource) => JSON.parse(String(r.inputs.policy)) as PolicyDocument;

async function build(name: string, args: SignedFileStoreArgs): Promise<RecordedResource[]> {
  new SignedFileStore(name, args);
  await settled();
  return resourcesOf(name);
}

function dataKeyStatement(resources: readonly RecordedResource[]) {
  return policyOf(single(resources, "aws:iam/rolePolicy:RolePolicy")).Statement.filter(
    (s) => s.Sid === "UseDataKeyThroughS3",
  );
}

describe("SignedFileStore with SSE-KMS under its own key", () => {
  let resources: RecordedResource[];
  before(async () => {
    resources = await build("vault", { encryption: { mode: "sse-kms" } });
  });
  const dataKey = () => resources.filter((r) => r.name === "vault-data-key");

  it("creates one more KMS key, with rotation, and its policy", () => {
    const counts = countByType(resources);
    expect(counts["aws:kms/key:Key"]).to.equal(2);
    expect(counts["aws:kms/keyPolicy:KeyPolicy"]).to.equal(1);
    expect(dataKey().map((r) => r.inputs)).to.deep.equal([
      {
        description: "vault: encrypts the stored objects (SSE-KMS)",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags: {},
      },
    ]);
  });

  it("encrypts by default with that key and an S3 Bucket Key", () => {
    expect(
      single(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs.rules,
    ).to.deep.equal([
      {
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/vault-data-key`,
        },
        bucketKeyEnabled: true,
      },
    ]);
  });

  it("lets the account's IAM policies and this distribution, for decryption only, use the key", () => {
    const keyPolicy = single(resources, "aws:kms/keyPolicy:KeyPolicy");
    expect(keyPolicy.inputs.keyId).to.equal("vault-data-key-id");
    expect(policyOf(keyPolicy)).to.deep.equal({
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
          Sid: "AllowCloudFrontOriginAccessControlDecrypt",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "kms:Decrypt",
          Resource: "*",
          Condition: { StringEquals: { "AWS:SourceArn": DISTRIBUTION_ARN } },
        },
      ],
    });
  });

  it("lets the function's presigned PUTs and multipart uploads use the key through S3 only", () => {
    expect(dataKeyStatement(resources)).to.deep.equal([
      {
        Sid: "UseDataKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/vault-data-key`,
        Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
      },
    ]);
  });
});

describe("SignedFileStore with SSE-KMS under a given key", () => {
  const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  let resources: RecordedResource[];
  before(async () => {
    resources = await build("given", { encryption: { mode: "sse-kms", kmsKeyArn: keyArn } });
  });

  it("creates no key and no key policy of its own", () => {
    const counts = countByType(resources);
    expect(counts["aws:kms/key:Key"]).to.equal(1);
    expect(counts["aws:kms/keyPolicy:KeyPolicy"]).to.equal(undefined);
  });

  it("encrypts with the given key and grants the function its use through S3", () => {
    expect(
      single(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs.rules,
    ).to.deep.equal([
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
        bucketKeyEnabled: true,
      },
    ]);
    expect(dataKeyStatement(resources).map((s) => s.Resource)).to.deep.equal([keyArn]);
  });
});

describe("SignedFileStore with SSE-S3", () => {
  it("grants no data key use", async () => {
    const resources = await build("plain", { encryption: { mode: "sse-s3" } });
    expect(dataKeyStatement(resources)).to.deep.equal([]);
    expect(countByType(resources)["aws:kms/key:Key"]).to.equal(1);
  });

  const cases: Array<[SignedFileStoreArgs, string]> = [
    [
      { encryption: { mode: "sse-c" } as never },
      '[encryption.mode] must be one of sse-s3, sse-kms, got "sse-c"',
    ],
    [
      { encryption: { mode: "sse-kms", kmsKeyArn: "alias/files" } },
      '[encryption.kmsKeyArn] must be a KMS key ARN (not an alias), got "alias/files"',
    ],
  ];
  cases.forEach(([args, message], i) => {
    it(`throws ${message.slice(0, 60)}`, () => {
      expect(() => new SignedFileStore(`invalid-encryption-${i}`, args)).to.throw(Error, message);
    });
  });
});
