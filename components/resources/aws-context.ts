import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** The account, Region and partition the stack deploys to, for ARNs and service endpoint names. */
export interface AwsContext {
  readonly accountId: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  readonly partition: pulumi.Output<string>;
  /** `amazonaws.com`, or the partition's own (`amazonaws.com.cn` in China). */
  readonly dnsSuffix: pulumi.Output<string>;
}

export function awsContext(parent: pulumi.Resource): AwsContext {
  const opts = { parent };
  const partition = aws.getPartitionOutput({}, opts);
  return {
    accountId: aws.getCallerIdentityOutput({}, opts).accountId,
    region: aws.getRegionOutput({}, opts).region,
    partition: partition.partition,
    dnsSuffix: partition.dnsSuffix,
  };
}
