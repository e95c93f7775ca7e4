/** The signing keys' types, which the store's args and the account's share. */
import type * as pulumi from "@pulumi/pulumi";

export type SigningKeyAlgorithm = "ecdsa-p256" | "rsa-2048";

export interface SigningKeyArgs {
  /** Stable name of this key pair in the stack (letters, digits, `-`). */
  readonly name: string;
  /** Default `ecdsa-p256` (shorter URLs, faster signing); `rsa-2048` is the other kind CloudFront accepts. */
  readonly algorithm?: SigningKeyAlgorithm;
}

/**
 * What a store takes from a `SignedFileStoreAccount` (its `shared` output): the CDN policies and the
 * signing identity every store of the account uses instead of its own.
 */
export interface SharedSigning {
  /** The account's cache policy. */
  readonly cachePolicyId: pulumi.Input<string>;
  /** The account's response headers policy (the CDN's CORS). */
  readonly responseHeadersPolicyId: pulumi.Input<string>;
  /** The key group every store's distribution trusts. */
  readonly keyGroupId: pulumi.Input<string>;
  /** The ID of the public key that signs now. */
  readonly keyPairId: pulumi.Input<string>;
  /** The SSM SecureString holding the active signing key. */
  readonly signingKeyParameterName: pulumi.Input<string>;
  /** Its ARN: the only parameter a store's function may read. */
  readonly signingKeyParameterArn: pulumi.Input<string>;
  /** The KMS key the parameter is encrypted with: the only key a store's function may decrypt with. */
  readonly signingKeyKmsKeyArn: pulumi.Input<string>;
  /**
   * The longest read URL a store of the account may hand out; the account's rotation period covers
   * it, so a store may not ask for longer.
   */
  readonly maxReadExpirySeconds: number;
}

/** The store's own signing keys, the active one first in `keys`' order of creation. */
export interface OwnSigning {
  readonly mode: "own";
  readonly keys: ReadonlyArray<Required<SigningKeyArgs>>;
  readonly active: string;
  /**
   * A rotating schedule's active key: when a later deploy may first remove it from the key group
   * (milliseconds since the Unix epoch). The function caps every URL it signs at this instant.
   */
  readonly retiresAtMs?: number;
}

/** The account's signing identity, and the store's own earlier keys it still trusts. */
export interface AccountSigning {
  readonly mode: "shared";
  readonly shared: SharedSigning;
  readonly retainedKeys: ReadonlyArray<Required<SigningKeyArgs>>;
}
