import { type KeyObject, sign } from "node:crypto";

export type CloudFrontHashAlgorithm = "SHA1" | "SHA256";

export interface CloudFrontSigningKey {
  /** The CloudFront public key ID that the key group holds; sent as `Key-Pair-Id`. */
  readonly keyPairId: string;
  /** Parsed once per cold start: parsing a PEM costs more than the signature itself. */
  readonly privateKey: KeyObject;
  /**
   * Epoch seconds from which a later deploy may remove this key from the key group (a rotating
   * key's schedule); a URL it signs must expire by then. Absent for keys that do not rotate.
   */
  readonly retiresAt?: number;
}

/**
 * A CloudFront signed URL with a canned policy.
 *
 * Written against node:crypto rather than `@aws-sdk/cloudfront-signer` because that signer takes a
 * PEM string and parses it again for every URL; here the key is a KeyObject parsed once. The
 * signature is over the canned policy JSON with no whitespace, RSA PKCS#1 v1.5 or ECDSA (DER, as
 * `openssl dgst -sign` writes it), base64 with `+=/` replaced by `-_~`; with SHA-256 the URL carries
 * `Hash-Algorithm=SHA256`. See the CloudFront Developer Guide, "Create a signed URL using a canned
 * policy" and "Using Linux commands and OpenSSL for base64 encoding and encryption".
 */
export function signCloudFrontUrl(
  resourceUrl: string,
  key: CloudFrontSigningKey,
  expiresEpochSeconds: number,
  hashAlgorithm: CloudFrontHashAlgorithm = "SHA256",
): string {
  if (!Number.isInteger(expiresEpochSeconds) || expiresEpochSeconds <= 0) {
    throw new RangeError(`expiresEpochSeconds must be a positive integer, got ${expiresEpochSeconds}`);
  }
  const policy = cannedPolicy(resourceUrl, expiresEpochSeconds);
  const signature = sign(hashAlgorithm === "SHA256" ? "sha256" : "sha1", Buffer.from(policy), key.privateKey);
  const separator = resourceUrl.includes("?") ? "&" : "?";
  const hashParam = hashAlgorithm === "SHA256" ? "&Hash-Algorithm=SHA256" : "";
  return `${resourceUrl}${separator}Expires=${expiresEpochSeconds}&Signature=${toCloudFrontBase64(signature)}&Key-Pair-Id=${key.keyPairId}${hashParam}`;
}

/**
 * The policy as `JSON.stringify` writes it for `{ Statement: [{ Resource, Condition: { DateLessThan:
 * { "AWS:EpochTime" } } }] }`; only the URL can need escaping, so only it goes through JSON.stringify
 * (every read signs one of these).
 */
export function cannedPolicy(resourceUrl: string, expiresEpochSeconds: number): string {
  return `{"Statement":[{"Resource":${JSON.stringify(resourceUrl)},"Condition":{"DateLessThan":{"AWS:EpochTime":${expiresEpochSeconds}}}}]}`;
}

/** `=` padding as CloudFront writes it, by the unpadded length modulo 4. */
const PADDING = ["", "___", "__", "_"];

/**
 * Base64 with `+`, `=` and `/` as `-`, `_` and `~`: Node's base64url already writes `-` for `+`
 * and leaves the padding out, so only `/` (written `_` there) is left to replace.
 */
export function toCloudFrontBase64(bytes: Buffer): string {
  const text = bytes.toString("base64url").replace(/_/g, "~");
  return text + PADDING[text.length % 4];
}
