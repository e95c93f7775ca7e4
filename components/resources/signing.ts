import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { SigningKeyAlgorithm, SigningKeyArgs } from "../args/types";
import type { PolicyDocument } from "../policies/iam";
import { keepName, type Scope } from "./names";

const TLS_KEY: Record<SigningKeyAlgorithm, tls.PrivateKeyArgs> = {
  "ecdsa-p256": { algorithm: "ECDSA", ecdsaCurve: "P256" },
  "rsa-2048": { algorithm: "RSA", rsaBits: 2048 },
};

export interface SigningKey {
  readonly name: string;
  readonly privateKey: tls.PrivateKey;
  readonly publicKey: aws.cloudfront.PublicKey;
}

export interface SigningKeys {
  readonly keys: readonly SigningKey[];
  readonly keyGroup: aws.cloudfront.KeyGroup;
}

/** Key pairs the stack owns, every public half in one key group. */
export function createSigningKeys(
  { name, names, parent }: Scope,
  keys: ReadonlyArray<Required<SigningKeyArgs>>,
): SigningKeys {
  const opts = { parent };
  const pairs = keys.map((k) => {
    const privateKey = new tls.PrivateKey(`${name}-signing-key-${k.name}`, TLS_KEY[k.algorithm], opts);
    const publicKey = new aws.cloudfront.PublicKey(
      `${name}-public-key-${k.name}`,
      {
        // A prefix, not a name: a key group refers to the key by ID, and the provider's suffix keeps a
        // replaced key from clashing with the old one while both exist.
        namePrefix: names.prefix(`key-${k.name}`, 102),
        encodedKey: privateKey.publicKeyPem,
        comment: `${name} ${k.name} (${k.algorithm})`,
      },
      { parent, ...keepName("namePrefix") },
    );
    return { name: k.name, privateKey, publicKey };
  });
  const keyGroup = new aws.cloudfront.KeyGroup(
    `${name}-key-group`,
    {
      name: names.derived("keys", 128),
      items: pairs.map((k) => k.publicKey.id),
      comment: `${name} signed URL keys`,
    },
    { parent, ...keepName() },
  );
  return { keys: pairs, keyGroup };
}

export interface SigningSecret {
  readonly kmsKey: aws.kms.Key;
  readonly parameter: aws.ssm.Parameter;
}

/**
 * The active key's private half and public key ID in an SSM SecureString, under a KMS key of the
 * stack's own whose policy is `keyPolicy`. The parameter is written only once the key group holds
 * the key (`dependsOn`): a function that reads it at a cold start signs at once, and CloudFront
 * refuses a URL whose Key-Pair-Id is in no key group the behavior trusts (CloudFront Developer
 * Guide, "Specify signers that can create signed URLs and signed cookies").
 */
export function createSigningSecret(
  { name, names, tags, parent }: Scope,
  active: SigningKey,
  keyGroup: aws.cloudfront.KeyGroup,
  keyPolicy: pulumi.Output<PolicyDocument>,
  retiresAtMs?: number,
): SigningSecret {
  // A rotating key's retirement travels with it, so the function never signs a URL that outlives it.
  const retiresAt = retiresAtMs === undefined ? {} : { retiresAt: new Date(retiresAtMs).toISOString() };
  const kmsKey = new aws.kms.Key(
    `${name}-signing-key-kms`,
    {
      description: `${name}: encrypts the CloudFront signing key`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: keyPolicy.apply((p) => JSON.stringify(p)),
      tags,
    },
    { parent },
  );
  const parameter = new aws.ssm.Parameter(
    `${name}-signing-key`,
    {
      name: names.parameter("signing-key", 512),
      type: "SecureString",
      description: `${name}: CloudFront signing key "${active.name}", its public key ID and PEM`,
      // The public key's ID and the private key in one value, so they change in one write: with the
      // ID in the function's environment instead, a cold start between the parameter's update and
      // the function's would pair the new key with the old ID (functions/signers/signing-key.ts reads both).
      value: pulumi.secret(
        pulumi
          .all([active.publicKey.id, active.privateKey.privateKeyPemPkcs8])
          .apply(([keyPairId, privateKeyPem]) => JSON.stringify({ keyPairId, privateKeyPem, ...retiresAt })),
      ),
      keyId: kmsKey.arn,
      tags,
    },
    { parent, dependsOn: [keyGroup], ...keepName() },
  );
  return { kmsKey, parameter };
}

/** The active key among `keys`; resolveArgs has checked that it is one of them. */
export function activeKey(keys: readonly SigningKey[], name: string): SigningKey {
  const key = keys.find((k) => k.name === name);
  if (!key) throw new Error(`[activeSigningKey] resolved to no key: ${name}`);
  return key;
}
