import { createHash, timingSafeEqual } from "node:crypto";
import {
  ALGORITHM,
  AUTH_QUERY_PARAMS,
  canonicalRequest,
  type ExpectedScope,
  headerValue,
  hmac,
  parseAmzDate,
  parseQuery,
  scopeProblem,
  sha256Hex,
  signingKey,
} from "./sigv4-canonical";

export {
  canonicalRequest,
  type ExpectedScope,
  parseQuery,
  s3UriEncode,
  signingKey,
} from "./sigv4-canonical";

/**
 * Verifies SigV4 query-string-authenticated (presigned) S3 requests, written from the SigV4
 * specification ("Authenticating Requests: Using Query Parameters", Amazon S3 API Reference) and
 * independently of the signer the handler uses, so each checks the other.
 */
export interface PresignedRequest {
  readonly method: string;
  /** The request path exactly as received, still percent-encoded. */
  readonly rawPath: string;
  /** The query string exactly as received, without the `?`. */
  readonly rawQuery: string;
  /** Lower-case header names; the Host header is required. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type SigV4Verdict =
  | {
      readonly ok: true;
      readonly accessKeyId: string;
      readonly expiresAt: Date;
      readonly signedHeaders: readonly string[];
      /** Header-signed requests only: the payload hash the body must match, or UNSIGNED-PAYLOAD. */
      readonly payloadHash?: string;
    }
  | {
      readonly ok: false;
      readonly code:
        | "AccessDenied"
        | "SignatureDoesNotMatch"
        | "InvalidAccessKeyId"
        | "AuthorizationQueryParametersError"
        | "InvalidCredentialScope";
      readonly message: string;
    };

/** S3 refuses presigned requests dated further in the future than this clock skew. */
const MAX_SKEW_MS = 15 * 60 * 1000;

const BAD_QUERY = {
  ok: false,
  code: "AuthorizationQueryParametersError",
  message: "The query string is not valid percent-encoding.",
} as const;

function queryOf(rawQuery: string): Array<[string, string]> | undefined {
  try {
    return parseQuery(rawQuery);
  } catch {
    return undefined;
  }
}

/** `AKID/20261122/eu-west-1/s3/aws4_request` with a date matching X-Amz-Date, or undefined. */
function parseScope(credential: string, amzDate: string) {
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

export function verifyPresigned(
  request: PresignedRequest,
  secretFor: (accessKeyId: string) => string | undefined,
  now: Date,
  expectedScope?: ExpectedScope,
): SigV4Verdict {
  const query = queryOf(request.rawQuery);
  if (!query) return BAD_QUERY;
  // A second X-Amz-Signature (or credential, date, ...) would let a URL carry two answers, of which a
  // lax verifier might check one and a proxy or log another; S3 refuses the request as malformed.
  const repeated = AUTH_QUERY_PARAMS.find((name) => query.filter(([n]) => n === name).length > 1);
  if (repeated) {
    return {
      ok: false,
      code: "AuthorizationQueryParametersError",
      message: `${repeated} must appear only once in the query string.`,
    };
  }
  const param = (name: string) => query.find(([n]) => n === name)?.[1];
  const algorithm = param("X-Amz-Algorithm");
  const credential = param("X-Amz-Credential");
  const amzDate = param("X-Amz-Date");
  const expires = param("X-Amz-Expires");
  const signedHeaderList = param("X-Amz-SignedHeaders");
  const signature = param("X-Amz-Signature");
  if (algorithm !== ALGORITHM || !credential || !amzDate || !expires || !signedHeaderList || !signature) {
    return {
      ok: false,
      code: "AuthorizationQueryParametersError",
      message:
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    };
  }
  const scope = parseScope(credential, amzDate);
  const lifetime = Number(expires);
  if (!scope) {
    return {
      ok: false,
      code: "AuthorizationQueryParametersError",
      message: "Error parsing the X-Amz-Credential parameter.",
    };
  }
  const { accessKeyId, signedAt, date: scopeDate, region, service } = scope;
  const wrongScope = scopeProblem(scope, expectedScope);
  if (wrongScope) return wrongScope;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 604800) {
    return {
      ok: false,
      code: "AuthorizationQueryParametersError",
      message: "X-Amz-Expires must be between 1 and 604800 seconds.",
    };
  }
  const signedHeaders = signedHeaderList.split(";");
  const mismatch = checkSignature(request, query, secretFor, {
    accessKeyId,
    scope: { date: scopeDate, region, service },
    amzDate,
    signedHeaders,
    signature,
    payloadHash: param("X-Amz-Content-Sha256") ?? "UNSIGNED-PAYLOAD",
    check: () => {
      const expiresAt = new Date(signedAt.getTime() + lifetime * 1000);
      if (now.getTime() > expiresAt.getTime())
        return { ok: false, code: "AccessDenied", message: "Request has expired" };
      if (signedAt.getTime() - now.getTime() > MAX_SKEW_MS) {
        return { ok: false, code: "AccessDenied", message: "Request is not valid yet" };
      }
      return undefined;
    },
  });
  if (mismatch) return mismatch;
  return { ok: true, accessKeyId, expiresAt: new Date(signedAt.getTime() + lifetime * 1000), signedHeaders };
}

interface SignatureClaim {
  readonly accessKeyId: string;
  readonly scope: { readonly date: string; readonly region: string; readonly service: string };
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly payloadHash: string;
  /** Time checks, run once the key is known to exist (S3 reports an unknown key first). */
  readonly check: () => Extract<SigV4Verdict, { ok: false }> | undefined;
}

/** The checks both kinds of SigV4 share: known key, time, signed-header rules, and the HMAC itself. */
function checkSignature(
  request: PresignedRequest,
  query: Array<[string, string]>,
  secretFor: (accessKeyId: string) => string | undefined,
  claim: SignatureClaim,
): Extract<SigV4Verdict, { ok: false }> | undefined {
  const secret = secretFor(claim.accessKeyId);
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
    return {
      ok: false,
      code: "AuthorizationQueryParametersError",
      message: "X-Amz-SignedHeaders must be sorted, lower-case and include host.",
    };
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

/**
 * Verifies a request signed in the Authorization header ("Authenticating Requests: Using the
 * Authorization Header"), as SDK clients send. The payload hash is taken from x-amz-content-sha256;
 * when it is a real hash the caller must compare it with the body it reads (`payloadHash`).
 */
export function verifyAuthorizationHeader(
  request: PresignedRequest,
  secretFor: (accessKeyId: string) => string | undefined,
  now: Date,
  /**
   * For services other than S3: the body, whose SHA-256 is the payload hash. Such services read the
   * whole body before they answer, so x-amz-content-sha256, when sent, must be that hash, never
   * UNSIGNED-PAYLOAD ("Lambda doesn't support unsigned payloads": CloudFront Developer Guide,
   * "Restrict access to an AWS Lambda function URL origin").
   */
  body?: Buffer,
  expectedScope?: ExpectedScope,
): SigV4Verdict {
  const header = headerValue(request.headers.authorization) ?? "";
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
    header,
  );
  const amzDate = headerValue(request.headers["x-amz-date"]) ?? "";
  const claimedHash = headerValue(request.headers["x-amz-content-sha256"]);
  const bodyHash = body ? createHash("sha256").update(body).digest("hex") : undefined;
  const payloadHash = bodyHash ?? claimedHash ?? "";
  const scope = parseScope(m?.[1] ?? "", amzDate);
  if (!m || !scope || !/^([0-9a-f]{64}|UNSIGNED-PAYLOAD)$/.test(payloadHash)) {
    return {
      ok: false,
      code: "AuthorizationQueryParametersError",
      message: "The authorization header is malformed, or x-amz-date or x-amz-content-sha256 is missing.",
    };
  }
  const { accessKeyId, signedAt, date: scopeDate, region, service } = scope;
  const wrongScope = scopeProblem(scope, expectedScope);
  if (wrongScope) return wrongScope;
  if (bodyHash !== undefined && claimedHash !== undefined && claimedHash !== bodyHash) {
    return {
      ok: false,
      code: "SignatureDoesNotMatch",
      message:
        claimedHash === "UNSIGNED-PAYLOAD"
          ? "This service does not accept UNSIGNED-PAYLOAD: x-amz-content-sha256 must be the body's SHA-256."
          : "The x-amz-content-sha256 header does not match the SHA-256 of the body.",
    };
  }
  const query = queryOf(request.rawQuery);
  if (!query) return BAD_QUERY;
  const signedHeaders = (m[2] ?? "").split(";");
  const mismatch = checkSignature(request, query, secretFor, {
    accessKeyId,
    scope: { date: scopeDate, region, service },
    amzDate,
    signedHeaders,
    signature: m[3] ?? "",
    payloadHash,
    check: () =>
      Math.abs(signedAt.getTime() - now.getTime()) > MAX_SKEW_MS
        ? {
            ok: false,
            code: "AccessDenied",
            message: "The difference between the request time and the current time is too large.",
          }
        : undefined,
  });
  if (mismatch) return mismatch;
  return {
    ok: true,
    accessKeyId,
    expiresAt: new Date(signedAt.getTime() + MAX_SKEW_MS),
    signedHeaders,
    payloadHash,
  };
}
