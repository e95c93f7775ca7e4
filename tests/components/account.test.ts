import { expect } from "chai";
import {
  type SharedSigning,
  SignedFileStore,
  SignedFileStoreAccount,
  type SignedFileStoreArgs,
} from "../../components";
import type { PolicyDocument } from "../../components/policies/iam";
import {
  ACCOUNT,
  countByType,
  functionEnvironment,
  outputValue,
  REGION,
  type RecordedResource,
  recorded,
  resourcesOf,
  settled,
  single,
  useStack,
} from "../support/pulumi-mocks";

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12);
const policyOf = (r: RecordedResource) => JSON.parse(String(r.inputs.policy)) as PolicyDocument;

/** The resources one stack registered, every component included. */
const inStack = (stack: string) => recorded.filter((r) => r.stack === stack);

/** The account's resources that count against an account's CloudFront quotas, and its secret. */
const ACCOUNT_WIDE = [
  "aws:cloudfront/cachePolicy:CachePolicy",
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
  "aws:cloudfront/keyGroup:KeyGroup",
  "aws:cloudfront/publicKey:PublicKey",
  "tls:index/privateKey:PrivateKey",
  "aws:ssm/parameter:Parameter",
  "aws:kms/key:Key",
];

describe("SignedFileStoreAccount", () => {
  let account: SignedFileStoreAccount;
  let resources: RecordedResource[];
  before(async () => {
    useStack("account-alone");
    try {
      account = new SignedFileStoreAccount("shared", { signingKeyRotationDays: 7, clock: () => NOW });
      await settled();
      resources = resourcesOf("shared", "account-alone");
    } finally {
      useStack("test");
    }
  });

  it("registers the CDN policies and one rotating signing identity, nothing else", () => {
    expect(countByType(resources)).to.deep.equal({
      "signed-file-store:index:SignedFileStoreAccount": 1,
      "aws:cloudfront/cachePolicy:CachePolicy": 1,
      "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": 1,
      "tls:index/privateKey:PrivateKey": 5,
      "aws:cloudfront/publicKey:PublicKey": 5,
      "aws:cloudfront/keyGroup:KeyGroup": 1,
      "aws:kms/key:Key": 1,
      "aws:ssm/parameter:Parameter": 1,
    });
    expect(single(resources, "aws:cloudfront/keyGroup:KeyGroup").inputs.items).to.deep.equal(
      ["r2966", "r2967", "r2968", "r2969", "r2970"].map((k) => `K-shared-public-key-${k}`),
    );
  });

  it("keeps the active key in an SSM SecureString under its own KMS key, which only IAM policies in the account grant", () => {
    const parameter = single(resources, "aws:ssm/parameter:Parameter").inputs;
    expect(parameter).to.include({
      name: "shared-signing-key-5540b61d",
      type: "SecureString",
      keyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/shared-signing-key-kms`,
    });
    expect(JSON.parse(String(parameter.value)).keyPairId).to.equal("K-shared-public-key-r2968");
    expect(policyOf(single(resources, "aws:kms/key:Key"))).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EnableIamPolicies",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    });
  });

  it("exposes shared as a plain object of the outputs a store needs", async () => {
    expect(Object.keys(account.shared).sort()).to.deep.equal([
      "cachePolicyId",
      "keyGroupId",
      "keyPairId",
      "maxReadExpirySeconds",
      "responseHeadersPolicyId",
      "signingKeyKmsKeyArn",
      "signingKeyParameterArn",
      "signingKeyParameterName",
    ]);
    const { maxReadExpirySeconds, ...outputs } = account.shared;
    expect(maxReadExpirySeconds).to.equal(86_400);
    const values = Object.fromEntries(
      await Promise.all(
        Object.entries(outputs).map(async ([k, v]) => [k, await outputValue(v as never)] as const),
      ),
    );
    expect(values).to.deep.equal({
      cachePolicyId: "shared-cache-policy-id",
      responseHeadersPolicyId: "shared-cdn-cors-id",
      keyGroupId: "kg-shared-key-group",
      keyPairId: "K-shared-public-key-r2968",
      signingKeyParameterName: "shared-signing-key-5540b61d",
      signingKeyParameterArn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/shared-signing-key-5540b61d`,
      signingKeyKmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/shared-signing-key-kms`,
    });
  });

  const refused: Array<[ConstructorParameters<typeof SignedFileStoreAccount>[1], string]> = [
    [
      { signingKeyRotationDays: 2, maxReadExpirySeconds: 172_800 },
      "[signingKeyRotationDays] must cover the longest read URL, maxReadExpirySeconds (172800 s) plus the 3600 s window its expiry is rounded up to: at least 3 days, got 2",
    ],
    [{ maxReadExpirySeconds: 0 }, "[maxReadExpirySeconds] must be between 1 and 604800, got 0"],
    [{ signingKeys: [] }, "[signingKeys] must hold 1 to 5 keys (a key group holds at most 5), got []"],
  ];
  refused.forEach(([args, message], i) => {
    it(`throws ${message.slice(0, 60)}`, () => {
      expect(() => new SignedFileStoreAccount(`invalid-account-${i}`, args)).to.throw(Error, message);
    });
  });
});

describe("25 stores on one account component", function () {
  this.timeout(120_000);
  const STACK = "twenty-five";
  const stackTraceLimit = Error.stackTraceLimit;
  let stack: RecordedResource[];

  before(async () => {
    // Formatting the stack traces the SDK takes per resource is most of the time under the mocks.
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 1;
    useStack(STACK);
    try {
      const account = new SignedFileStoreAccount("acct", { signingKeyRotationDays: 7, clock: () => NOW });
      for (let i = 1; i <= 25; i++) {
        new SignedFileStore(`app${i}`, {
          shared: account.shared,
          auth: { mode: i % 2 === 0 ? "iam" : "public" },
        });
      }
      await settled();
      stack = inStack(STACK);
    } finally {
      useStack("test");
      process.setSourceMapsEnabled(true);
      Error.stackTraceLimit = stackTraceLimit;
    }
  });

  it("creates one cache policy, one response headers policy, one key group and five public keys in all", () => {
    const counts = countByType(stack);
    expect(ACCOUNT_WIDE.map((t) => [t, counts[t]])).to.deep.equal([
      ["aws:cloudfront/cachePolicy:CachePolicy", 1],
      ["aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", 1],
      ["aws:cloudfront/keyGroup:KeyGroup", 1],
      ["aws:cloudfront/publicKey:PublicKey", 5],
      ["tls:index/privateKey:PrivateKey", 5],
      ["aws:ssm/parameter:Parameter", 1],
      ["aws:kms/key:Key", 1],
    ]);
    // Each store still has its own bucket, distribution, origin access control and function.
    expect(counts["signed-file-store:index:SignedFileStore"]).to.equal(25);
    expect(counts["aws:cloudfront/distribution:Distribution"]).to.equal(25);
    expect(counts["aws:cloudfront/originAccessControl:OriginAccessControl"]).to.equal(25);
    expect(counts["aws:lambda/function:Function"]).to.equal(25);
    for (let i = 1; i <= 25; i++) {
      const own = resourcesOf(`app${i}`, STACK);
      expect(
        ACCOUNT_WIDE.filter((t) => own.some((r) => r.type === t)),
        `app${i}`,
      ).to.deep.equal([]);
    }
  });

  it("serves every store through the account's policies and trusts only the account's key group", () => {
    for (let i = 1; i <= 25; i++) {
      const behavior = single(resourcesOf(`app${i}`, STACK), "aws:cloudfront/distribution:Distribution")
        .inputs.defaultCacheBehavior as Record<string, unknown>;
      expect(behavior).to.include({
        cachePolicyId: "acct-cache-policy-id",
        responseHeadersPolicyId: "acct-cdn-cors-id",
      });
      expect(behavior.trustedKeyGroups).to.deep.equal(["kg-acct-key-group"]);
    }
  });

  it("lets each store's function read only the account's secret and decrypt only with its key, through SSM", () => {
    for (let i = 1; i <= 25; i++) {
      const own = resourcesOf(`app${i}`, STACK);
      const statements = policyOf(single(own, "aws:iam/rolePolicy:RolePolicy")).Statement;
      expect(
        statements.filter((s) => String(s.Action).startsWith("ssm:") || String(s.Action).startsWith("kms:")),
      ).to.deep.equal([
        {
          Sid: "ReadSigningKey",
          Effect: "Allow",
          Action: "ssm:GetParameter",
          Resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/acct-signing-key-c821b90a`,
        },
        {
          Sid: "DecryptSigningKeyThroughSsm",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/acct-signing-key-kms`,
          Condition: { StringEquals: { "kms:ViaService": `ssm.${REGION}.amazonaws.com` } },
        },
      ]);
      const env = functionEnvironment(own);
      expect(env.SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER).to.equal("acct-signing-key-c821b90a");
      expect(JSON.parse(env.SIGNED_FILE_STORE_CONFIG ?? "").keyPairId).to.equal("K-acct-public-key-r2968");
    }
  });
});

describe("a store moving to the account", () => {
  const shared: SharedSigning = {
    cachePolicyId: "cp-1",
    responseHeadersPolicyId: "rhp-1",
    keyGroupId: "kg-account",
    keyPairId: "K-ACCOUNT",
    signingKeyParameterName: "acct-signing-key",
    signingKeyParameterArn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/acct-signing-key`,
    signingKeyKmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/acct`,
    maxReadExpirySeconds: 86_400,
  };

  it("keeps its earlier keys trusted, second, while the account's key signs", async () => {
    new SignedFileStore("moving", { shared, signingKeys: [{ name: "primary" }] });
    await settled();
    const resources = resourcesOf("moving");
    expect(single(resources, "aws:cloudfront/keyGroup:KeyGroup").inputs.items).to.deep.equal([
      "K-moving-public-key-primary",
    ]);
    const behavior = single(resources, "aws:cloudfront/distribution:Distribution").inputs
      .defaultCacheBehavior as Record<string, unknown>;
    expect(behavior.trustedKeyGroups).to.deep.equal(["kg-account", "kg-moving-key-group"]);
    expect(behavior.cachePolicyId).to.equal("cp-1");
    // Its own secret is gone: only the account's signs.
    expect(resources.filter((r) => r.type === "aws:ssm/parameter:Parameter")).to.have.length(0);
    expect(resources.filter((r) => r.type === "aws:kms/key:Key")).to.have.length(0);
    expect(JSON.parse(functionEnvironment(resources).SIGNED_FILE_STORE_CONFIG ?? "").keyPairId).to.equal(
      "K-ACCOUNT",
    );
  });

  const refused: Array<[SignedFileStoreArgs, string]> = [
    [
      { shared, signingKeyRotationDays: 7 },
      "[signingKeyRotationDays] is the account's with shared: set it on the SignedFileStoreAccount, got 7",
    ],
    [
      { shared, activeSigningKey: "primary" },
      '[activeSigningKey] is the account\'s with shared: set it on the SignedFileStoreAccount, got "primary"',
    ],
    [
      { shared, maxReadExpirySeconds: 172_800 },
      "[maxReadExpirySeconds] must not exceed the account's (shared.maxReadExpirySeconds, 86400), which its key rotation covers, got 172800",
    ],
    [
      { shared: { ...shared, keyGroupId: "" } },
      '[shared.keyGroupId] must be the SignedFileStoreAccount\'s output, got ""',
    ],
    [
      { shared: { ...shared, maxReadExpirySeconds: 0 } },
      "[shared.maxReadExpirySeconds] must be between 1 and 604800, got 0",
    ],
  ];
  refused.forEach(([args, message], i) => {
    it(`throws ${message.slice(0, 60)}`, () => {
      expect(() => new SignedFileStore(`invalid-shared-${i}`, args)).to.throw(Error, message);
    });
  });

  it("rotates with the account: a week later the account's parameter names the next key", async () => {
    useStack("account-next-week");
    try {
      const next = new SignedFileStoreAccount("shared", {
        signingKeyRotationDays: 7,
        clock: () => NOW + 7 * DAY_MS,
      });
      expect(await outputValue(next.shared.keyPairId as never)).to.equal("K-shared-public-key-r2969");
      await settled();
    } finally {
      useStack("test");
    }
  });
});
