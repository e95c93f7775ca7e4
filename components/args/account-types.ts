/** The account component's args, as callers write them and once resolved. */
import type { OwnSigning, SigningKeyAlgorithm, SigningKeyArgs } from "./signing-types";

/**
 * The account-wide half: CDN policies and one signing identity for every store of the account.
 * Every arg is optional.
 */
export interface SignedFileStoreAccountArgs {
  /**
   * The longest read URL any store of the account may hand out, 1 to 604800 seconds; a rotation
   * period must cover it. Default 86400 (a day).
   */
  readonly maxReadExpirySeconds?: number;
  /** The account's CloudFront key pairs, as for a store. Default one ECDSA P-256 key named `primary`. */
  readonly signingKeys?: SigningKeyArgs[];
  /** Name of the key that signs. Default the first of `signingKeys`. */
  readonly activeSigningKey?: string;
  /** Rotate the shared signing key every this many days, as a store's own would. Default none. */
  readonly signingKeyRotationDays?: number;
  /** Algorithm of the scheduled keys. Default `ecdsa-p256`. */
  readonly signingKeyAlgorithm?: SigningKeyAlgorithm;
  /** The deploy's clock for the schedule, in milliseconds since the Unix epoch or a Date. Default `Date.now`. */
  readonly clock?: () => number | Date;
  /** Tags for every taggable resource. */
  readonly tags?: Record<string, string>;
}

export interface ResolvedAccountArgs {
  readonly maxReadExpirySeconds: number;
  readonly signing: OwnSigning;
  readonly tags: Readonly<Record<string, string>>;
}
