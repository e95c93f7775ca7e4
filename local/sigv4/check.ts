import { timingSafeEqual } from "node:crypto";
import {
  ALGORITHM,
  canonicalRequest,
  hmac,
  type PresignedRequest,
  parseAmzDate,
  parseQuery,
  type SigV4Verdict,
  sha256Hex,
  signingKey,
} from "./canonical";

/**
 * What the two SigV4 verifiers (presigned.ts; verify-header.ts, the Authorization header) share:
 * the credential scope's parsing and the signature check itself.
 */
/** S3 refuses presigned requests dated further in the future than this clock skew. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** S3's answer to a request whose SigV4 parts are missing or not well-formed. */
export function malformed(message: string): Extract<SigV4Verdict, { ok: false }> {
  return { ok: false, code: "AuthorizationQueryParametersError", message };
}

export const BAD_QUERY = malformed("The query string is not valid percent-encoding.");

export function queryOf(rawQuery: string): Array<[string, string]> | undefined {
  try {
    return parseQuery(rawQuery);
  } catch {
    return undefined;
  }
}

export interface CredentialScope {
  readonly accessKeyId: string;
  readonly signedAt: Date;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

/** `AKID/20261122/eu-west-1/s3/aws4_request` with a date matching X-Amz-Date, or undefined. */
export function parseScope(credential: string, amzDate: string): CredentialScope | undefined {
  const [accessKeyId, date, region, service, terminator, ...rest] = credential.split("/");
  const signedAt = parseAmzDate(amzDate);
  if (
    !accessKeyId ||
    !date ||
    !region ||
    !service ||
    terminator !== "aws4_request" ||
    rest.length > 0 ||
    !signedAt ||
    amzDate.slice(0, 8) !== date
  ) {
    return undefined;
  }
  return { accessKeyId, signedAt, date, region, service };
}

export interface SignatureClaim {
  readonly scope: CredentialScope;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly payloadHash: string;
  /** Time checks, run once the key is known to exist (S3 reports an unknown key first). */
  readonly check: () => Extract<SigV4Verdict, { ok: false }> | undefined;
}

/** The checks both kinds of SigV4 share: known key, time, signed-header rules, and the HMAC itself. */
export function checkSignature(
  request: PresignedRequest,
  query: Array<[string, string]>,
  secretFor: (accessKeyId: string) => string | undefined,
  claim: SignatureClaim,
): Extract<SigV4Verdict, { ok: false }> | undefined {
  const secret = secretFor(claim.scope.accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      code: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided does not exist in our records.",
    };
  }
  const timing = claim.check();
  if (timing) return timing;
  const { signedHeaders } = claim;
  if (
    !signedHeaders.includes("host") ||
    signedHeaders.some((h, i) => h !== h.toLowerCase() || (i > 0 && (signedHeaders[i - 1] ?? "") >= h))
  ) {
    return malformed("X-Amz-SignedHeaders must be sorted, lower-case and include host.");
  }
  const canonical = canonicalRequest(request, query, signedHeaders, claim.payloadHash);
  const { date, region, service } = claim.scope;
  const stringToSign = [
    ALGORITHM,
    claim.amzDate,
    `${date}/${region}/${service}/aws4_request`,
    sha256Hex(canonical),
  ].join("\n");
  const expected = hmac(signingKey(secret, date, region, service), stringToSign);
  const given = /^[0-9a-f]{64}$/.test(claim.signature)
    ? Buffer.from(claim.signature, "hex")
    : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      code: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    };
  }
  return undefined;
}
