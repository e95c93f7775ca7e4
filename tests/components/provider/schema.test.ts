import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { type SignedFileStoreArgs, SignedFileStore as TypeScriptStore } from "../../../components";
import { PROJECT_ROOT } from "../../../components/bundle/function-bundle";
import { SignedFileStoreAccount, toAccountArgs } from "../../../components/provider/account";
import {
  AuthMode,
  EncryptionMode,
  HashAlgorithm,
  KeyAlgorithm,
  LambdaRuntime,
  PriceClass,
  SignedFileStore,
  type SignedFileStoreComponentArgs,
  toStoreArgs,
} from "../../../components/provider/component";
import { SignedFileStoreProvider } from "../../../components/provider/provider";
import { analyzeSchema, SCHEMA_ENTRY } from "../../../components/provider/schema";
import { CONFIG_ENV } from "../../../functions/config";
import {
  countByType,
  functionEnvironment,
  outputValue,
  recorded,
  resourcesOf,
  settled,
  single,
  useStack,
} from "../../support/pulumi-mocks";

const recordedIn = (stack: string) => recorded.filter((r) => r.stack === stack);

import {
  ACCOUNT_DESCRIPTION,
  ACCOUNT_INPUTS,
  ACCOUNT_OUTPUTS,
  DESCRIPTION,
  INPUTS,
  OUTPUTS,
  TYPES,
} from "./schema.expected";

const TOKEN = "signed-file-store:index:SignedFileStore";
const ACCOUNT_TOKEN = "signed-file-store:index:SignedFileStoreAccount";
const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  description: string;
};

const STACK = "component-package";

/** Every arg, as a Python, Go, .NET or YAML program sends it. */
const FULL_INPUTS: SignedFileStoreComponentArgs = {
  expirySeconds: 120,
  maxReadExpirySeconds: 604800,
  maxWriteExpirySeconds: 900,
  auth: {
    mode: AuthMode.Jwt,
    issuer: "https://id.example.com/",
    audience: "media-api",
    jwksUrl: "https://id.example.com/.well-known/jwks.json",
    readPrefixes: ["{sub}/", "shared/"],
    writePrefixes: ["{sub}/"],
    algorithms: ["RS256", "ES256"],
    scopes: { purge: "files:purge" },
  },
  publicReadPrefixes: ["public/"],
  signingKeys: [{ name: "old" }, { name: "new", algorithm: KeyAlgorithm.Rsa2048 }],
  activeSigningKey: "new",
  hashAlgorithm: HashAlgorithm.Sha1,
  versioning: false,
  noncurrentVersionExpirationDays: 7,
  abortIncompleteMultipartUploadDays: 2,
  forceDestroy: true,
  priceClass: PriceClass.PriceClassAll,
  customDomain: {
    certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abcd-1234",
    aliases: ["files.example.com"],
  },
  memorySize: 512,
  timeoutSeconds: 20,
  logRetentionDays: 90,
  runtime: LambdaRuntime.Nodejs22,
  tags: { team: "media" },
  maxUploadBytes: 100 * 1024 ** 3,
  allowedContentTypes: ["image/*", "video/mp4"],
  partSizeBytes: 16 * 1024 ** 2,
  requireChecksum: true,
  allowedMetadata: ["caption"],
  cors: { allowedOrigins: ["https://app.example.com"] },
  directReadPrincipalArns: ["arn:aws:iam::111122223333:role/incident-response"],
  encryption: { mode: EncryptionMode.SseKms },
  events: true,
  reservedConcurrency: 10,
  errorRateAlarm: { threshold: 0.05, actions: ["arn:aws:sns:eu-west-1:111122223333:alerts"] },
};

/** The same store as a TypeScript program declares it. */
const TYPESCRIPT_ARGS: SignedFileStoreArgs = {
  ...(FULL_INPUTS as Omit<SignedFileStoreComponentArgs, "shared">),
  auth: {
    mode: "jwt",
    issuer: "https://id.example.com/",
    audience: "media-api",
    jwksUrl: "https://id.example.com/.well-known/jwks.json",
    rules: { read: ["{sub}/", "shared/"], write: ["{sub}/"], delete: undefined },
    algorithms: ["RS256", "ES256"],
    scopes: { purge: "files:purge" },
  },
  signingKeys: [
    { name: "old", algorithm: undefined },
    { name: "new", algorithm: "rsa-2048" },
  ],
  hashAlgorithm: "SHA1",
  priceClass: "PriceClass_All",
  runtime: "nodejs22.x",
  encryption: { mode: "sse-kms" },
};

describe("Pulumi component package", function () {
  // The analyzer builds a TypeScript program over the components' sources once.
  this.timeout(120_000);
  // The plugin's provider, with the schema the build makes and the package ships.
  let provider: SignedFileStoreProvider;
  let schema: Record<string, unknown>;

  before(async () => {
    provider = new SignedFileStoreProvider(analyzeSchema());
    schema = JSON.parse(await provider.getSchema()) as Record<string, unknown>;
  });

  it("is made from main.ts, which exports the schema-friendly components only", async () => {
    expect(SCHEMA_ENTRY).to.equal("components/provider/main.ts");
    const entry = (await import(path.join(PROJECT_ROOT, SCHEMA_ENTRY))) as Record<string, unknown>;
    expect(Object.keys(entry).sort()).to.deep.equal(["SignedFileStore", "SignedFileStoreAccount"]);
    expect(entry.SignedFileStore).to.equal(SignedFileStore);
    expect(entry.SignedFileStoreAccount).to.equal(SignedFileStoreAccount);
  });

  it("refuses to construct a type it does not serve, naming the type", async () => {
    for (const type of [
      "signed-file-store:index:Nope",
      "other:index:SignedFileStore",
      "signed-file-store:x:SignedFileStore",
    ]) {
      const error = await provider.construct("x", type, {}, {}).then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      expect(error).to.equal(`signed-file-store has no component ${type}`);
    }
  });

  it("has a schema with every input and output, its type and its description", () => {
    expect(schema).to.deep.equal({
      name: "signed-file-store",
      version: manifest.version,
      description: manifest.description,
      resources: {
        [TOKEN]: {
          type: "object",
          isComponent: true,
          inputProperties: INPUTS,
          requiredInputs: [],
          properties: OUTPUTS,
          required: Object.keys(OUTPUTS).sort(),
          description: DESCRIPTION,
        },
        [ACCOUNT_TOKEN]: {
          type: "object",
          isComponent: true,
          inputProperties: ACCOUNT_INPUTS,
          requiredInputs: [],
          properties: ACCOUNT_OUTPUTS,
          required: Object.keys(ACCOUNT_OUTPUTS).sort(),
          description: ACCOUNT_DESCRIPTION,
        },
      },
      types: TYPES,
      language: Object.fromEntries(
        ["nodejs", "python", "csharp", "java", "go"].map((l) => [l, { respectSchemaVersion: true }]),
      ),
      dependencies: [],
    });
  });

  it("maps its plain args onto the TypeScript component's", () => {
    expect(toStoreArgs(FULL_INPUTS)).to.deep.equal(TYPESCRIPT_ARGS);
    expect(toStoreArgs({})).to.deep.equal({});
    expect(
      toStoreArgs({ signingKeyRotationDays: 30, signingKeyAlgorithm: KeyAlgorithm.Rsa2048 }),
    ).to.deep.equal({
      signingKeyRotationDays: 30,
      signingKeyAlgorithm: "rsa-2048",
    });
    expect(
      toStoreArgs({ auth: { mode: AuthMode.Public }, encryption: { mode: EncryptionMode.SseS3 } }),
    ).to.deep.equal({
      auth: { mode: "public" },
      encryption: { mode: "sse-s3" },
    });
    expect(
      toAccountArgs({
        maxReadExpirySeconds: 3600,
        signingKeyRotationDays: 2,
        signingKeyAlgorithm: KeyAlgorithm.Rsa2048,
        tags: { team: "platform" },
      }),
    ).to.deep.equal({
      maxReadExpirySeconds: 3600,
      signingKeyRotationDays: 2,
      signingKeyAlgorithm: "rsa-2048",
      tags: { team: "platform" },
    });
    expect(toAccountArgs({})).to.deep.equal({});
  });

  describe("construct under mocks", () => {
    let state: Record<string, unknown>;
    let urn: string;
    let fromProvider: ReturnType<typeof resourcesOf>;
    let fromTypeScript: ReturnType<typeof resourcesOf>;

    before(async () => {
      useStack(`${STACK}-ts`);
      const store = new TypeScriptStore("files", TYPESCRIPT_ARGS);
      await outputValue(store.apiUrl);
      await settled();
      fromTypeScript = resourcesOf("files", `${STACK}-ts`);
      useStack(STACK);
      const result = await provider.construct("files", TOKEN, FULL_INPUTS, {});
      urn = await outputValue(pulumi.output(result.urn));
      state = result.state as Record<string, unknown>;
      await settled();
      fromProvider = resourcesOf("files", STACK);
    });

    after(() => useStack("test"));

    it("registers the TypeScript component's resources, under one more component of the package's type", () => {
      expect(urn).to.equal(`urn:pulumi:${STACK}::signed-file-store::${TOKEN}::files`);
      expect(countByType(fromProvider)).to.deep.equal({ ...countByType(fromTypeScript), [TOKEN]: 2 });
      expect(fromProvider.filter((r) => r.type === TOKEN).map((r) => r.name)).to.deep.equal([
        "files",
        "files",
      ]);
      expect(fromProvider.filter((r) => r.type === "aws:lambda/function:Function")).to.have.length(1);
      expect(fromProvider.filter((r) => r.type === "aws:cloudfront/publicKey:PublicKey")).to.have.length(2);
    });

    it("passes the args through to the function, its URL and the bucket", () => {
      const config = JSON.parse(functionEnvironment(fromProvider)[CONFIG_ENV] ?? "{}") as {
        auth: unknown;
        uploads: { requireChecksum: boolean; allowedMetadata: string[] };
      };
      expect(config.auth).to.deep.equal({
        mode: "jwt",
        issuer: "https://id.example.com/",
        audience: "media-api",
        jwksUrl: "https://id.example.com/.well-known/jwks.json",
        algorithms: ["RS256", "ES256"],
        rules: { read: ["{sub}/", "shared/"], write: ["{sub}/"], delete: ["{sub}/"] },
        scopes: { purge: "files:purge" },
      });
      expect(config.uploads.requireChecksum).to.equal(true);
      expect(config.uploads.allowedMetadata).to.deep.equal(["caption"]);
      const fn = single(fromProvider, "aws:lambda/function:Function").inputs;
      expect([fn.runtime, fn.memorySize, fn.timeout, fn.reservedConcurrentExecutions]).to.deep.equal([
        "nodejs22.x",
        512,
        20,
        10,
      ]);
      const url = single(fromProvider, "aws:lambda/functionUrl:FunctionUrl").inputs;
      expect(url.authorizationType).to.equal("NONE");
      expect((url.cors as { allowOrigins: string[] }).allowOrigins).to.deep.equal([
        "https://app.example.com",
      ]);
      const bucket = single(fromProvider, "aws:s3/bucket:Bucket").inputs;
      expect([bucket.forceDestroy, bucket.tags]).to.deep.equal([true, { team: "media" }]);
    });

    it("answers every output of the schema", async () => {
      expect(Object.keys(state).sort()).to.deep.equal(Object.keys(OUTPUTS).sort());
      expect(await outputValue(state.apiUrl as pulumi.Output<string>)).to.equal(
        "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/",
      );
      expect(await outputValue(state.cdnDomainName as pulumi.Output<string>)).to.equal("files.example.com");
      expect(await outputValue(state.publicKeyIds as pulumi.Output<Record<string, string>>)).to.deep.equal({
        old: "K-files-public-key-old",
        new: "K-files-public-key-new",
      });
    });
  });

  describe("the account and a store sharing it, constructed as another language would", () => {
    const STACK_SHARED = "component-package-shared";
    let accountState: Record<string, unknown>;
    let resources: ReturnType<typeof resourcesOf>;

    before(async () => {
      useStack(STACK_SHARED);
      try {
        const account = await provider.construct("acct", ACCOUNT_TOKEN, { signingKeyRotationDays: 7 }, {});
        accountState = account.state as Record<string, unknown>;
        const shared = await outputValue(accountState.shared as pulumi.Output<Record<string, unknown>>);
        // Another language passes the account's outputs, and its maxReadExpirySeconds as a number.
        await provider.construct("app", TOKEN, { shared, auth: { mode: AuthMode.Public } }, {});
        await settled();
        resources = recordedIn(STACK_SHARED);
      } finally {
        useStack("test");
      }
    });

    it("answers the account's outputs, shared among them", async () => {
      expect(Object.keys(accountState).sort()).to.deep.equal(Object.keys(ACCOUNT_OUTPUTS).sort());
      const shared = await outputValue(accountState.shared as pulumi.Output<Record<string, unknown>>);
      expect(Object.keys(shared).sort()).to.deep.equal(
        Object.keys(
          (TYPES["signed-file-store:index:SharedSigning"] as { properties: object }).properties,
        ).sort(),
      );
      expect(shared.keyGroupId).to.equal("kg-acct-key-group");
    });

    it("gives the store none of the account's resources: it trusts the account's key group", () => {
      const counts = countByType(resources);
      expect(counts["aws:cloudfront/keyGroup:KeyGroup"]).to.equal(1);
      expect(counts["aws:cloudfront/publicKey:PublicKey"]).to.equal(5);
      expect(counts["aws:cloudfront/cachePolicy:CachePolicy"]).to.equal(1);
      expect(counts["aws:ssm/parameter:Parameter"]).to.equal(1);
      const behavior = single(resources, "aws:cloudfront/distribution:Distribution").inputs
        .defaultCacheBehavior as Record<string, unknown>;
      expect(behavior.trustedKeyGroups).to.deep.equal(["kg-acct-key-group"]);
    });

    it("refuses an output where the store needs the account's maxReadExpirySeconds as a number", async () => {
      useStack(STACK_SHARED);
      const error = await provider
        .construct("app-output", TOKEN, { shared: { maxReadExpirySeconds: pulumi.output(86_400) } }, {})
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      useStack("test");
      expect((error as Error).message).to.equal(
        '[shared.maxReadExpirySeconds] must be a plain number known before deployment (the account\'s own maxReadExpirySeconds), got "output"',
      );
    });
  });

  const refused: Array<[string, Record<string, unknown>, string]> = [
    [
      "jwt fields without jwt",
      { auth: { mode: "iam", issuer: "x" } },
      '[auth.issuer] only applies with auth mode "jwt", got "x"',
    ],
    [
      "an unknown auth mode",
      { auth: { mode: "basic" } },
      '[auth.mode] must be one of iam, jwt, public, got "basic"',
    ],
    [
      "a key ARN without sse-kms",
      { encryption: { mode: "sse-s3", kmsKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/k" } },
      '[encryption.kmsKeyArn] only applies with mode "sse-kms", got "arn:aws:kms:eu-west-1:111122223333:key/k"',
    ],
    [
      "an unknown price class",
      { priceClass: "PriceClass_1" },
      '[priceClass] must be one of PriceClass_100, PriceClass_200, PriceClass_All, got "PriceClass_1"',
    ],
    [
      "an output where a plain value belongs",
      { expirySeconds: pulumi.output(60) },
      '[expirySeconds] must be a plain value known before deployment, got "output"',
    ],
  ];
  refused.forEach(([what, inputs, message], i) => {
    it(`refuses ${what}, naming the arg`, async () => {
      useStack(STACK);
      const error = await provider.construct(`refused-${i}`, TOKEN, inputs, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      useStack("test");
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.equal(message);
    });
  });
});
