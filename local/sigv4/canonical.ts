import { createHash, createHmac } from "node:crypto";

// The pieces of SigV4 ("Create a canonical request", "Create a string to sign", "Calculate the
// signature" in the IAM User Guide) and of its request checks that both verifiers share.

/** A request as the verifiers read it, in both forms: presigned or with an Authorization header. */
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

export const ALGORITHM = "AWS4-HMAC-SHA256";

export function s3UriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === "") return [];
  return rawQuery.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"));
    return eq === -1 ? [decode(pair), ""] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
  });
}

export function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(",") : value).trim().replace(/\s+/g, " ");
}

export function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return new Date(
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
  );
}

export function canonicalRequest(
  request: PresignedRequest,
  query: Array<[string, string]>,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  const canonicalQuery = query
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([name, value]) => [s3UriEncode(name), s3UriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${headerValue(request.headers[name]) ?? ""}\n`)
    .join("");
  return [
    request.method,
    request.rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
}

/** The service and region a verifier accepts in the credential scope (`AKID/DATE/REGION/SERVICE/aws4_request`). */
export interface ExpectedScope {
  readonly service: string;
  readonly region: string;
}

/**
 * The scope is checked before the signature, with the messages AWS's SigV4 services give for a
 * request signed for another service or region.
 */
export function scopeProblem(
  scope: { readonly service: string; readonly region: string },
  expected: ExpectedScope | undefined,
): Extract<SigV4Verdict, { ok: false }> | undefined {
  if (!expected) return undefined;
  if (scope.service !== expected.service) {
    return {
      ok: false,
      code: "InvalidCredentialScope",
      message: `Credential should be scoped to correct service: '${expected.service}'. `,
    };
  }
  if (scope.region !== expected.region) {
    return {
      ok: false,
      code: "InvalidCredentialScope",
      message: "Credential should be scoped to a valid region. ",
    };
  }
  return undefined;
}

/** The query parameters that carry a presigned request's authentication: each may appear once. */
export const AUTH_QUERY_PARAMS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
  "X-Amz-Security-Token",
  "X-Amz-Content-Sha256",
];
