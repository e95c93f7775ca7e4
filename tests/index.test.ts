import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  countByType,
  functionEnvironment,
  outputValue,
  type RecordedResource,
  resourcesOf,
  settled,
  single,
  useStack,
} from "./support/pulumi-mocks";

type Program = typeof import("../index");

/** Runs index.ts in `stack` with `config`, as `pulumi up` would: a fresh module each time. */
function runProgram(stack: string, config: Record<string, string>, sdkAliases = false): Program {
  useStack(stack, { sdkAliases });
  pulumi.runtime.setAllConfig(config);
  delete require.cache[require.resolve("../index")];
  // A require() so the program runs after the config above is set.
  return require("../index") as Program;
}

/** The children of the second run of a stack: every resource but the component, registered once per run. */
function countOwnResources(resources: readonly RecordedResource[]): number {
  const children = resources.filter((r) => r.type !== "signed-file-store:index:SignedFileStore");
  expect(children.length % 2).to.equal(0);
  return children.length / 2;
}

describe("the Pulumi program (index.ts)", () => {
  after(() => useStack("test"));

  it("reads the typed config and exports the stack outputs", async () => {
    const program = runProgram("program", {
      "signed-file-store:authMode": "public",
      "signed-file-store:expirySeconds": "600",
      "signed-file-store:maxReadExpirySeconds": "172800",
      "signed-file-store:maxWriteExpirySeconds": "1800",
      "signed-file-store:publicReadPrefixes": '["public/"]',
      "signed-file-store:signingKeyAlgorithm": "rsa-2048",
      "signed-file-store:signingKeys": '["primary:ecdsa-p256", "next"]',
      "signed-file-store:activeSigningKey": "next",
      "signed-file-store:logRetentionDays": "7",
      "signed-file-store:maxUploadBytes": "1073741824",
      "signed-file-store:allowedContentTypes": '["image/*"]',
      "signed-file-store:corsAllowedOrigins": '["https://app.example.com"]',
      "signed-file-store:encryption": "sse-kms",
      "signed-file-store:events": "true",
      "signed-file-store:reservedConcurrency": "50",
      "signed-file-store:errorRateAlarmPercent": "5",
      "signed-file-store:alarmActions": '["arn:aws:sns:eu-west-1:111122223333:on-call"]',
      "signed-file-store:directReadPrincipalArns": '["arn:aws:iam::111122223333:role/incident-response"]',
      "signed-file-store:requireChecksum": "true",
      "signed-file-store:allowedMetadata": JSON.stringify(["caption"]),
    });
    const outputs = {
      apiUrl: await outputValue(program.apiUrl),
      cdnDomainName: await outputValue(program.cdnDomainName),
      bucketName: await outputValue(program.bucketName),
      distributionId: await outputValue(program.distributionId),
      keyGroupId: await outputValue(program.keyGroupId),
      functionName: await outputValue(program.functionName),
    };
    await settled();
    expect(outputs).to.deep.equal({
      apiUrl: "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/",
      cdnDomainName: "d111111abcdef8.cloudfront.net",
      bucketName: "files-bucket-8b5766d4730fcb4cec0e22a9d7",
      distributionId: "EDFDVBD6EXAMPLE",
      keyGroupId: "kg-files-key-group",
      functionName: "files-signer-e88a83a7",
    });
    const resources = resourcesOf("files", "program");
    expect(countByType(resources)["aws:lambda/permission:Permission"]).to.equal(2);
    expect(
      resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => [r.name, r.inputs]),
    ).to.deep.equal([
      ["files-signing-key-primary", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
      ["files-signing-key-next", { algorithm: "RSA", rsaBits: 2048 }],
    ]);
    expect(single(resources, "aws:cloudfront/keyGroup:KeyGroup").inputs.items).to.deep.equal([
      "K-files-public-key-primary",
      "K-files-public-key-next",
    ]);
    expect(
      JSON.parse(String(single(resources, "aws:ssm/parameter:Parameter").inputs.value)).keyPairId,
    ).to.equal("K-files-public-key-next");
    expect(single(resources, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).to.equal(7);
    const env = functionEnvironment(resources);
    const handlerConfig = JSON.parse(env.SIGNED_FILE_STORE_CONFIG ?? "");
    expect(handlerConfig.expirySeconds).to.equal(600);
    expect(handlerConfig.maxReadExpirySeconds).to.equal(172800);
    expect(handlerConfig.maxWriteExpirySeconds).to.equal(1800);
    expect(handlerConfig.auth).to.deep.equal({ mode: "public" });
    expect(handlerConfig.publicReadPrefixes).to.deep.equal(["public/"]);
    expect(handlerConfig.uploads).to.deep.equal({
      maxUploadBytes: 1073741824,
      allowedContentTypes: ["image/*"],
      partSizeBytes: 8388608,
      requireChecksum: true,
      allowedMetadata: ["caption"],
    });
    expect(
      (single(resources, "aws:lambda/functionUrl:FunctionUrl").inputs.cors as { allowOrigins: string[] })
        .allowOrigins,
    ).to.deep.equal(["https://app.example.com"]);
    expect(countByType(resources)["aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"]).to.equal(1);
    expect(countByType(resources)["aws:kms/keyPolicy:KeyPolicy"]).to.equal(1);
    expect(countByType(resources)["aws:s3/bucketNotification:BucketNotification"]).to.equal(1);
    expect(single(resources, "aws:lambda/function:Function").inputs.reservedConcurrentExecutions).to.equal(
      50,
    );
    const alarm = single(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").inputs;
    expect([alarm.threshold, alarm.alarmActions]).to.deep.equal([
      0.05,
      ["arn:aws:sns:eu-west-1:111122223333:on-call"],
    ]);
    expect(
      single(
        resources,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs.rules,
    ).to.deep.equal([
      {
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: "arn:aws:kms:eu-west-1:111122223333:key/files-data-key",
        },
        bucketKeyEnabled: true,
      },
    ]);
    const bucketPolicy = JSON.parse(
      String(single(resources, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy),
    );
    expect(bucketPolicy.Statement[2].Condition.ArnNotEquals["aws:PrincipalArn"]).to.deep.equal([
      "arn:aws:iam::111122223333:role/files-function-e828ebbe008f89514d0119001c",
      "arn:aws:iam::111122223333:role/incident-response",
    ]);
    expect(single(resources, "aws:s3/bucket:Bucket").inputs.tags).to.deep.equal({
      project: "signed-file-store",
      stack: "program",
    });
  });

  it("names the component the same in every stack and aliases the name stacks were created with", async () => {
    runProgram("staging", { "signed-file-store:authMode": "iam" });
    await settled();
    const component = single(resourcesOf("files", "staging"), "signed-file-store:index:SignedFileStore");
    expect(component.urn).to.equal(
      "urn:pulumi:staging::signed-file-store::signed-file-store:index:SignedFileStore::files",
    );
    expect(component.aliasNames).to.deep.equal(["files-staging"]);

    // Every child's name starts with the component's, so each inherits the alias with the old
    // component name in its own name: the URN it was created under. The SDK computes the same
    // aliases an engine does from the alias spec (Pulumi docs, "Resource option: aliases").
    runProgram("staging", { "signed-file-store:authMode": "iam" }, true);
    await settled();
    const children = resourcesOf("files", "staging").filter(
      (r) => r.type !== "signed-file-store:index:SignedFileStore" && r.aliasUrns.length > 0,
    );
    expect(children.length).to.equal(countOwnResources(resourcesOf("files", "staging")));
    const oldUrn = (r: RecordedResource) =>
      r.urn.replace(/::files(-[^:]*)$/, (_, rest: string) => `::files-staging${rest}`);
    for (const child of children) {
      // (The provider adds type aliases of its own to some, such as the bucket's former BucketV2.)
      expect(child.aliasUrns, child.name).to.include(oldUrn(child));
    }
    expect(oldUrn(single(children, "aws:s3/bucket:Bucket"))).to.equal(
      "urn:pulumi:staging::signed-file-store::signed-file-store:index:SignedFileStore$aws:s3/bucket:Bucket::files-staging-bucket",
    );
  });

  it("passes the jwt scopes from ACTION:SCOPE entries, and names a bad entry", async () => {
    const jwt = {
      "signed-file-store:authMode": "jwt",
      "signed-file-store:jwtIssuer": "https://id.example.com/",
      "signed-file-store:jwtAudience": "files",
      "signed-file-store:jwtJwksUrl": "https://id.example.com/.well-known/jwks.json",
    };
    runProgram("jwt", { ...jwt, "signed-file-store:jwtScopes": '["read:files:read", "purge:files:purge"]' });
    await settled();
    const config = JSON.parse(
      functionEnvironment(resourcesOf("files", "jwt")).SIGNED_FILE_STORE_CONFIG ?? "",
    );
    expect(config.auth.scopes).to.deep.equal({ read: "files:read", purge: "files:purge" });
    expect(config.uploads.requireChecksum).to.equal(false);
    expect(() => runProgram("jwt-bad", { ...jwt, "signed-file-store:jwtScopes": '["purge"]' })).to.throw(
      Error,
      '[jwtScopes[0]] must be ACTION:SCOPE, such as purge:files:purge, got "purge"',
    );
  });
});
