import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  countByType,
  functionEnvironment,
  outputValue,
  resourcesOf,
  settled,
  single,
} from "./support/pulumi-mocks";

describe("the Pulumi program (index.ts)", () => {
  it("reads the typed config and exports the stack outputs", async () => {
    pulumi.runtime.setAllConfig({
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
    });
    // A require() so the program runs after the config above is set, as `pulumi up` would run it.
    const program = require("../index") as typeof import("../index");
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
      bucketName: "files-test-bucket-5088291cd846d20b5e8f5a21f7",
      distributionId: "EDFDVBD6EXAMPLE",
      keyGroupId: "kg-files-test-key-group",
      functionName: "files-test-signer-0f2d7dad",
    });
    const resources = resourcesOf("files-test");
    expect(countByType(resources)["aws:lambda/permission:Permission"]).to.equal(2);
    expect(
      resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => [r.name, r.inputs]),
    ).to.deep.equal([
      ["files-test-signing-key-primary", { algorithm: "ECDSA", ecdsaCurve: "P256" }],
      ["files-test-signing-key-next", { algorithm: "RSA", rsaBits: 2048 }],
    ]);
    expect(single(resources, "aws:cloudfront/keyGroup:KeyGroup").inputs.items).to.deep.equal([
      "K-files-test-public-key-primary",
      "K-files-test-public-key-next",
    ]);
    expect(
      JSON.parse(String(single(resources, "aws:ssm/parameter:Parameter").inputs.value)).keyPairId,
    ).to.equal("K-files-test-public-key-next");
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
      requireChecksum: false,
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
          kmsMasterKeyId: "arn:aws:kms:eu-west-1:111122223333:key/files-test-data-key",
        },
        bucketKeyEnabled: true,
      },
    ]);
    const bucketPolicy = JSON.parse(
      String(single(resources, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy),
    );
    expect(bucketPolicy.Statement[2].Condition.ArnNotEquals["aws:PrincipalArn"]).to.deep.equal([
      "arn:aws:iam::111122223333:role/files-test-function-adf6f10fa13db63ef72147c582",
      "arn:aws:iam::111122223333:role/incident-response",
    ]);
    expect(single(resources, "aws:s3/bucket:Bucket").inputs.tags).to.deep.equal({
      project: "signed-file-store",
      stack: "test",
    });
  });
});
