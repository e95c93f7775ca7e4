import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { dataKeyPolicy } from "../policies/kms-key";
import type { ChildScope } from "./names";

export interface DataEncryption {
  /** The SSE-KMS key's ARN; undefined with SSE-S3. */
  readonly keyArn: pulumi.Output<string> | undefined;
  /** The stack's own SSE-KMS key, when it made one (its policy follows the distribution). */
  readonly key: aws.kms.Key | undefined;
}

/** The key objects are encrypted with: none (SSE-S3), the given one, or one the stack owns. */
export function createDataKey({ name, config, parent }: ChildScope): DataEncryption {
  const encryption = config.encryption;
  if (encryption.mode === "sse-s3") return { keyArn: undefined, key: undefined };
  if (encryption.kmsKeyArn) return { keyArn: pulumi.output(encryption.kmsKeyArn), key: undefined };
  // Created with KMS's default key policy (the account statement only, AWS KMS Developer Guide,
  // "Default key policy"); createDataKeyPolicy adds the distribution once it exists, since the
  // distribution's origin is the bucket this key encrypts.
  const key = new aws.kms.Key(
    `${name}-data-key`,
    {
      description: `${name}: encrypts the stored objects (SSE-KMS)`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: config.tags,
    },
    { parent },
  );
  return { keyArn: key.arn, key };
}

/** Lets the distribution decrypt through OAC, for the stack's own key only. */
export function createDataKeyPolicy(
  { name, parent }: ChildScope,
  encryption: DataEncryption,
  distribution: aws.cloudfront.Distribution,
): aws.kms.KeyPolicy | undefined {
  if (!encryption.key) return undefined;
  const opts = { parent };
  const identity = aws.getCallerIdentityOutput({}, opts);
  const partition = aws.getPartitionOutput({}, opts).partition;
  return new aws.kms.KeyPolicy(
    `${name}-data-key-policy`,
    {
      keyId: encryption.key.id,
      policy: pulumi
        .all([partition, identity.accountId, distribution.arn])
        .apply(([p, account, d]) => JSON.stringify(dataKeyPolicy(`arn:${p}:iam::${account}:root`, d))),
    },
    opts,
  );
}
