import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resolveAccountArgs } from "./args/resolve";
import type { SharedSigning, SignedFileStoreAccountArgs } from "./args/types";
import { accountSigningKeyKmsPolicy } from "./policies/kms-key";
import { awsContext } from "./resources/aws-context";
import { createCdnPolicies } from "./resources/delivery";
import { physicalNames, type Scope } from "./resources/names";
import { activeKey, createSigningKeys, createSigningSecret } from "./resources/signing";

export type { SharedSigning, SignedFileStoreAccountArgs } from "./args/types";

/**
 * What every store in an AWS account can share, created once: the cache policy, the response
 * headers policy, and one signing identity (a key group, its keys, rotating or not, and the active
 * key in an SSM SecureString under a KMS key of its own). CloudFront counts policies, key groups and
 * public keys per account (CloudFront Developer Guide, "Quotas"), so stores that each made their own
 * run out: pass `shared` to each `SignedFileStore` instead.
 */
export class SignedFileStoreAccount extends pulumi.ComponentResource {
  /** What a `SignedFileStore` takes as its `shared` arg: a plain object of outputs. */
  readonly shared: SharedSigning;
  /** The shared key group's ID. */
  readonly keyGroupId: pulumi.Output<string>;
  /** CloudFront public key IDs by signing key name. */
  readonly publicKeyIds: pulumi.Output<Record<string, string>>;
  /** The SSM parameter that holds the active signing key. */
  readonly signingKeyParameterName: pulumi.Output<string>;
  /** The key group every store's distribution trusts. */
  readonly keyGroup: aws.cloudfront.KeyGroup;

  constructor(
    name: string,
    args: SignedFileStoreAccountArgs = {},
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("signed-file-store:index:SignedFileStoreAccount", name, {}, opts);
    const config = resolveAccountArgs(args);
    const scope: Scope = {
      name,
      names: physicalNames(name),
      tags: config.tags,
      parent: this,
    };
    const context = awsContext(this);

    const policies = createCdnPolicies(scope);
    const signing = createSigningKeys(scope, config.signing.keys);
    const active = activeKey(signing.keys, config.signing.active);
    const keyPolicy = pulumi
      .all([context.partition, context.accountId])
      .apply(([p, account]) => accountSigningKeyKmsPolicy(`arn:${p}:iam::${account}:root`));
    const secret = createSigningSecret(
      scope,
      active,
      signing.keyGroup,
      keyPolicy,
      config.signing.retiresAtMs,
    );

    this.keyGroup = signing.keyGroup;
    this.shared = {
      cachePolicyId: policies.cachePolicy.id,
      responseHeadersPolicyId: policies.responseHeadersPolicy.id,
      keyGroupId: signing.keyGroup.id,
      keyPairId: active.publicKey.id,
      signingKeyParameterName: secret.parameter.name,
      signingKeyParameterArn: secret.parameter.arn,
      signingKeyKmsKeyArn: secret.kmsKey.arn,
      maxReadExpirySeconds: config.maxReadExpirySeconds,
    };
    this.keyGroupId = signing.keyGroup.id;
    this.publicKeyIds = pulumi.output(
      Object.fromEntries(signing.keys.map((k) => [k.name, k.publicKey.id])),
    ) as pulumi.Output<Record<string, string>>;
    this.signingKeyParameterName = secret.parameter.name;
    this.registerOutputs({
      shared: this.shared,
      keyGroupId: this.keyGroupId,
      publicKeyIds: this.publicKeyIds,
      signingKeyParameterName: this.signingKeyParameterName,
    });
  }
}
