import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SignedFileStore } from "../../components";
import {
  countByType,
  outputValue,
  resourcesOf,
  settled,
  single,
  stackOutputs,
} from "../support/pulumi-mocks";

describe("SignedFileStore events", () => {
  it("sends the bucket's events to EventBridge when asked", async () => {
    new SignedFileStore("evented", { events: true });
    new SignedFileStore("quiet");
    await settled();
    expect(
      resourcesOf("evented")
        .filter((r) => r.type === "aws:s3/bucketNotification:BucketNotification")
        .map((r) => r.inputs),
    ).to.deep.equal([{ bucket: "evented-bucket-id", eventbridge: true }]);
    expect(countByType(resourcesOf("quiet"))["aws:s3/bucketNotification:BucketNotification"]).to.equal(
      undefined,
    );
  });

  it('throws [events] must be true or false, got "yes"', () => {
    expect(() => new SignedFileStore("invalid-events", { events: "yes" as never })).to.throw(
      Error,
      '[events] must be true or false, got "yes"',
    );
  });
});

describe("the events example program (examples/events)", () => {
  it("subscribes a function to objects created under the prefix in the store's bucket", async () => {
    stackOutputs["acme/signed-file-store/prod"] = { bucketName: "files-prod-bucket-20261123000000000001" };
    pulumi.runtime.setAllConfig({
      "signed-file-store:storeStack": "acme/signed-file-store/prod",
      "signed-file-store:prefix": "incoming/",
    });
    // A require() so the program runs after the config above is set, as `pulumi up` would run it.
    const program = require("../../examples/events") as typeof import("../../examples/events");
    await outputValue(program.ruleName);
    await settled();
    const resources = resourcesOf("on-upload");
    expect(countByType(resources)).to.deep.equal({
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
      "aws:lambda/function:Function": 1,
      "aws:cloudwatch/eventRule:EventRule": 1,
      "aws:cloudwatch/eventTarget:EventTarget": 1,
      "aws:lambda/permission:Permission": 1,
    });
    expect(
      JSON.parse(String(single(resources, "aws:cloudwatch/eventRule:EventRule").inputs.eventPattern)),
    ).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: {
        bucket: { name: ["files-prod-bucket-20261123000000000001"] },
        object: { key: [{ prefix: "incoming/" }] },
      },
    });
    const permission = single(resources, "aws:lambda/permission:Permission").inputs;
    expect(permission).to.include({ action: "lambda:InvokeFunction", principal: "events.amazonaws.com" });
    expect(String(permission.sourceArn)).to.not.equal("");
  });
});
