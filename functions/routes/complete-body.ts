import { BadRequest } from "../api/http-error";
import { hasControlCharacter } from "../api/object-key";
import { S3_LIMITS } from "../api/upload-rules";
import type { FunctionUrlEvent } from "../http/function-url";
import { jsonBody } from "../http/json-body";
import type { CompletedPart } from "../s3/multipart";

/** `{ "parts": [{ "partNumber": 1, "etag": "\"…\"" }, …] }`, ascending, as S3 requires. */
export function parseCompleteBody(event: FunctionUrlEvent): CompletedPart[] {
  const invalid = (why: string) =>
    new BadRequest(
      "InvalidCompleteBody",
      `the body must be JSON { "parts": [{ "partNumber": N, "etag": "..." }] } in ascending order: ${why}`,
    );
  const body = jsonBody(event, invalid);
  const parts = (body as { parts?: unknown } | null)?.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw invalid("parts is missing or empty");
  if (parts.length > S3_LIMITS.maxParts) throw invalid(`more than ${S3_LIMITS.maxParts} parts`);
  let previous = 0;
  return parts.map((p: unknown, i) => {
    const { partNumber, etag } = (p ?? {}) as { partNumber?: unknown; etag?: unknown };
    if (
      typeof partNumber !== "number" ||
      !Number.isInteger(partNumber) ||
      partNumber < 1 ||
      partNumber > S3_LIMITS.maxParts
    ) {
      throw invalid(`parts[${i}].partNumber must be 1 to ${S3_LIMITS.maxParts}`);
    }
    if (partNumber <= previous) throw invalid(`parts[${i}].partNumber is not above the one before`);
    if (typeof etag !== "string" || etag === "" || etag.length > 100 || hasControlCharacter(etag)) {
      throw invalid(`parts[${i}].etag must be the ETag S3 returned for the part`);
    }
    previous = partNumber;
    return { partNumber, etag };
  });
}
