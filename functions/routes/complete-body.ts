import type { ChecksumAlgorithm } from "../api/checksums";
import { BadRequest } from "../api/http-error";
import { hasControlCharacter } from "../api/object-key";
import { S3_LIMITS } from "../api/upload-rules";
import type { FunctionUrlEvent } from "../http/function-url";
import { jsonBody } from "../http/json-body";
import type { CompletedPart } from "../s3/multipart";

/** A part as the completion names it; `checksumAlgorithm` when S3's XML named the element. */
export type NamedPart = CompletedPart & { readonly checksumAlgorithm?: ChecksumAlgorithm };

const SHAPE = '{ "parts": [{ "partNumber": N, "etag": "...", "checksum": "..." }] }';

/**
 * `{ "parts": [{ "partNumber": 1, "etag": "\"…\"", "checksum": "…" }, …] }`, ascending, as S3
 * requires; `checksum` is the part's, in the upload's algorithm, checked against it by the caller.
 */
export function parseCompleteBody(event: FunctionUrlEvent): NamedPart[] {
  const invalid = (why: string) =>
    new BadRequest("InvalidCompleteBody", `the body must be JSON ${SHAPE} in ascending order: ${why}`);
  const body = jsonBody(event, invalid);
  const parts = (body as { parts?: unknown } | null)?.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw invalid("parts is missing or empty");
  if (parts.length > S3_LIMITS.maxParts) throw invalid(`more than ${S3_LIMITS.maxParts} parts`);
  let previous = 0;
  return parts.map((p: unknown, i) => {
    const { partNumber, etag, checksum, checksumAlgorithm } = (p ?? {}) as Record<string, unknown>;
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
    if (checksum !== undefined && (typeof checksum !== "string" || checksum === "")) {
      throw invalid(`parts[${i}].checksum must be the part's checksum in base64`);
    }
    if (
      checksumAlgorithm !== undefined &&
      checksumAlgorithm !== "CRC64NVME" &&
      checksumAlgorithm !== "SHA256"
    ) {
      throw invalid(`parts[${i}].checksumAlgorithm must be CRC64NVME or SHA256`);
    }
    previous = partNumber;
    return {
      partNumber,
      etag,
      ...(checksum === undefined ? {} : { checksum }),
      ...(checksumAlgorithm === undefined ? {} : { checksumAlgorithm }),
    };
  });
}
