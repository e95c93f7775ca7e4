import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SignedFileStore } from "../../components";
import { outputValue, recorded, resourcesOf, settled } from "../support/pulumi-mocks";

describe("SignedFileStore children", () => {
  it("exposes the bucket, distribution, function, role and key group to a consumer program", async () => {
    const store = new SignedFileStore("kids");
    const keyGroup = store.keyGroup;
    if (keyGroup === undefined) throw new Error("a store with its own keys exposes its key group");
    expect(
      [store.bucket, store.distribution, store.function, store.role, keyGroup].map((r) => [
        pulumi.resourceType(r),
        pulumi.resourceName(r),
      ]),
    ).to.deep.equal([
      ["aws:s3/bucket:Bucket", "kids-bucket"],
      ["aws:cloudfront/distribution:Distribution", "kids-cdn"],
      ["aws:lambda/function:Function", "kids-function"],
      ["aws:iam/role:Role", "kids-function-role"],
      ["aws:cloudfront/keyGroup:KeyGroup", "kids-key-group"],
    ]);
    expect(await outputValue(store.bucket.bucket)).to.equal(await outputValue(store.bucketName));
    expect(await outputValue(store.function.name)).to.equal(await outputValue(store.functionName));

    // What a platform team attaches, outside the component.
    new aws.iam.RolePolicyAttachment("kids-extra-xray", {
      role: store.role.name,
      policyArn: "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    });
    await settled();
    const attachment = recorded.filter((r) => r.name === "kids-extra-xray");
    expect(attachment.map((r) => r.inputs)).to.deep.equal([
      {
        role: "kids-function-b3547d65abbc0921d3f7d84605",
        policyArn: "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
      },
    ]);
    expect(resourcesOf("kids").filter((r) => r.type === "aws:lambda/function:Function")).to.have.length(1);
  });
});
