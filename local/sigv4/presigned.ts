import {
  ALGORITHM,
  AUTH_QUERY_PARAMS,
  type ExpectedScope,
  type PresignedRequest,
  type SigV4Verdict,
  scopeProblem,
} from "./canonical";
import { BAD_QUERY, checkSignature, MAX_SKEW_MS, malformed, parseScope, queryOf } from "./check";

/**
 * Verifies SigV4 query-string-authenticated (presigned) S3 requests, written from the SigV4
 * specification ("Authenticating Requests: Using Query Parameters", Amazon S3 API Reference) and
 * independently of the signer the handler uses, so each checks the other.
 */
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
    return malformed(`${repeated} must appear only once in the query string.`);
  }
  const param = (name: string) => query.find(([n]) => n === name)?.[1];
  const algorithm = param("X-Amz-Algorithm");
  const credential = param("X-Amz-Credential");
  const amzDate = param("X-Amz-Date");
  const expires = param("X-Amz-Expires");
  const signedHeaderList = param("X-Amz-SignedHeaders");
  const signature = param("X-Amz-Signature");
  if (algorithm !== ALGORITHM || !credential || !amzDate || !expires || !signedHeaderList || !signature) {
    return malformed(
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    );
  }
  const scope = parseScope(credential, amzDate);
  const lifetime = Number(expires);
  if (!scope) {
    return malformed("Error parsing the X-Amz-Credential parameter.");
  }
  const { accessKeyId, signedAt } = scope;
  const wrongScope = scopeProblem(scope, expectedScope);
  if (wrongScope) return wrongScope;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 604800) {
    return malformed("X-Amz-Expires must be between 1 and 604800 seconds.");
  }
  const signedHeaders = signedHeaderList.split(";");
  const mismatch = checkSignature(request, query, secretFor, {
    scope,
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
