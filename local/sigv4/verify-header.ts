import { createHash } from "node:crypto";
import {
  type ExpectedScope,
  headerValue,
  type PresignedRequest,
  type SigV4Verdict,
  scopeProblem,
} from "./canonical";
import { BAD_QUERY, checkSignature, MAX_SKEW_MS, malformed, parseScope, queryOf } from "./check";

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
    return malformed(
      "The authorization header is malformed, or x-amz-date or x-amz-content-sha256 is missing.",
    );
  }
  const { accessKeyId, signedAt } = scope;
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
    scope,
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
