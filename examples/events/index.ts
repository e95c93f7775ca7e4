import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * A second program next to a signed-file-store stack deployed with `events: true`: a function runs
 * for every object created under one prefix. S3 sends its events to the account's default event bus;
 * this rule picks "Object Created" for that bucket and prefix (Amazon S3 User Guide, "EventBridge
 * message structure" and "Using EventBridge"; the key filter is EventBridge's prefix matching,
 * Amazon EventBridge User Guide, "Content filtering in Amazon EventBridge event patterns").
 */
const config = new pulumi.Config();
const store = new pulumi.StackReference(config.require("storeStack"));
const bucketName = store.requireOutput("bucketName") as pulumi.Output<string>;
const prefix = config.get("prefix") ?? "uploads/";

/** The event pattern: plain data so a test can read it. */
export function objectCreatedPattern(bucket: string, keyPrefix: string) {
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: { bucket: { name: [bucket] }, object: { key: [{ prefix: keyPrefix }] } },
  };
}

const role = new aws.iam.Role("on-upload-role", {
  assumeRolePolicy: JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  }),
});
new aws.iam.RolePolicyAttachment("on-upload-logs", {
  role: role.name,
  policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole,
});

// The event's detail carries the bucket, the key, size, ETag, version ID, the requester and the
// operation ("reason": PutObject, CompleteMultipartUpload, CopyObject); the object's bytes stay in S3.
const handler = `exports.handler = async (event) => {
  const { bucket, object, reason } = event.detail;
  console.log(JSON.stringify({ bucket: bucket.name, key: object.key, size: object.size, versionId: object["version-id"], reason }));
};
`;
const fn = new aws.lambda.Function("on-upload", {
  role: role.arn,
  runtime: "nodejs24.x",
  architectures: ["arm64"],
  handler: "index.handler",
  code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(handler) }),
});

const rule = new aws.cloudwatch.EventRule("on-upload-rule", {
  description: pulumi.interpolate`Objects created in ${bucketName} under ${prefix}`,
  eventPattern: bucketName.apply((b) => JSON.stringify(objectCreatedPattern(b, prefix))),
});
new aws.cloudwatch.EventTarget("on-upload-target", { rule: rule.name, arn: fn.arn });
new aws.lambda.Permission("on-upload-invoke", {
  function: fn.name,
  action: "lambda:InvokeFunction",
  principal: "events.amazonaws.com",
  sourceArn: rule.arn,
});

export const functionName = fn.name;
export const ruleName = rule.name;
