import type { IncomingMessage } from "node:http";
import {
  ALGORITHMS,
  type Algorithm,
  combineParts,
  compositeOf,
  elementOf,
  headerOf,
  isChecksumValue,
} from "../../checksums/algorithms";
import type { PartRecord, UploadRecord } from "../../store/multipart-uploads";
import type { StoredChecksum } from "../../store/versions";
import { givenChecksum, isRefusal } from "../checksum-headers";
import type { S3ErrorCode } from "../errors";
import { header } from "../request";

/**
 * The checksum rules of CompleteMultipartUpload, with the answers S3 gave in localstack's
 * AWS-validated snapshots (tests/aws/services/s3/test_s3.py) and openstack/swift's s3api tests run
 * against AWS: the parts' checksums named in the body are checked against the parts, the object's
 * checksum is built from the parts' (FULL_OBJECT: their CRCs combined, no byte read again;
 * COMPOSITE: the digest of their digests, then `-N`), and a whole-object checksum header is checked
 * against it.
 */
export interface RequestedPart {
  readonly partNumber: number;
  readonly etag: string;
  /** The `<ChecksumCRC32>`… elements of the part, as given. */
  readonly checksums: Partial<Record<Algorithm, string>>;
}

export interface Refusal {
  readonly code: S3ErrorCode;
  readonly message: string;
  readonly details?: Record<string, string>;
}

/** S3's InvalidPart message, as recorded (two spaces after "found."). */
export const INVALID_PART =
  "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";

export function invalidPart(uploadId: string, part: RequestedPart): Refusal {
  return {
    code: "InvalidPart",
    message: INVALID_PART,
    details: { UploadId: uploadId, PartNumber: String(part.partNumber), ETag: part.etag },
  };
}

/** The part checksums of a completion body's `<Part>`, by algorithm. */
export function partChecksums(
  read: (name: string) => string | undefined,
): Partial<Record<Algorithm, string>> {
  const found: Partial<Record<Algorithm, string>> = {};
  for (const algorithm of ALGORITHMS) {
    const value = read(elementOf(algorithm));
    if (value !== undefined) found[algorithm] = value;
  }
  return found;
}

/** Checks the request against the upload before any part is looked at. */
export function checkRequest(
  req: IncomingMessage,
  upload: UploadRecord,
  uploadId: string,
  requested: readonly RequestedPart[],
): Refusal | undefined {
  for (const part of requested) {
    const given = Object.entries(part.checksums) as Array<[Algorithm, string]>;
    if (given.length > 1 || given.some(([algorithm, value]) => !isChecksumValue(algorithm, value))) {
      return {
        code: "InvalidArgument",
        message: "Invalid Base64 or multiple checksums present in request",
        details: {
          ArgumentName: "Checksum",
          ArgumentValue: given
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([algorithm, value]) => `${algorithm}:${value};`)
            .join(""),
        },
      };
    }
  }
  const askedType = header(req, "x-amz-checksum-type");
  if (askedType !== undefined && askedType !== (upload.checksumType ?? "")) {
    return {
      code: "InvalidRequest",
      message: `The upload was created using the ${upload.checksumType ?? "null"} checksum mode. The complete request must use the same checksum mode.`,
    };
  }
  const algorithm = upload.checksumAlgorithm;
  if (algorithm === undefined) {
    const named = requested.find((p) => Object.keys(p.checksums).length > 0);
    return named ? invalidPart(uploadId, named) : undefined;
  }
  for (const part of requested) {
    if (part.checksums[algorithm] !== undefined) continue;
    if (Object.keys(part.checksums).length > 0) {
      return {
        code: "BadDigest",
        message: `The ${algorithm.toLowerCase()} you specified for part ${part.partNumber} did not match what we received.`,
      };
    }
    if (upload.checksumType === "COMPOSITE") {
      return {
        code: "InvalidRequest",
        message: `The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${part.partNumber} in the request.`,
      };
    }
  }
  // "When an additional checksum … is applied to each part, the PartNumber must start at 1 and the
  // part numbers must be consecutive" (API Reference, CompletedPart).
  const gap = requested.findIndex((p, i) => p.partNumber !== i + 1);
  if (gap !== -1) {
    return {
      code: "InvalidPartOrder",
      message:
        "The part numbers must start at 1 and be consecutive when the upload has a checksum algorithm.",
    };
  }
  return undefined;
}

/** A part checksum the body names must be the part's own. */
export function checkParts(
  upload: UploadRecord,
  uploadId: string,
  requested: readonly RequestedPart[],
  parts: readonly PartRecord[],
): Refusal | undefined {
  const algorithm = upload.checksumAlgorithm;
  if (algorithm === undefined) return undefined;
  const wrong = requested.find((p, i) => {
    const given = p.checksums[algorithm];
    return given !== undefined && given !== parts[i]?.checksum?.value;
  });
  return wrong ? invalidPart(uploadId, wrong) : undefined;
}

/**
 * The object's checksum from its parts: the upload's algorithm and type, or for an upload created
 * without one, S3's default full-object CRC64NVME ("S3 now stores a CRC-based whole-object checksum
 * in object metadata, even for multipart uploads", What's New, Dec 1, 2024). Undefined when a part
 * was stored before parts kept their checksum.
 */
export function objectChecksum(
  upload: UploadRecord,
  parts: readonly PartRecord[],
): StoredChecksum | undefined {
  const algorithm = upload.checksumAlgorithm ?? "CRC64NVME";
  const type = upload.checksumType ?? "FULL_OBJECT";
  const values = parts.map((p) => (p.checksum?.algorithm === algorithm ? p.checksum.value : undefined));
  if (values.some((v) => v === undefined)) return undefined;
  const checksums = values as string[];
  const value =
    type === "COMPOSITE"
      ? compositeOf(algorithm, checksums)
      : combineParts(
          algorithm,
          parts.map((p, i) => ({ checksum: checksums[i] ?? "", size: p.size })),
        );
  return { algorithm, type, value };
}

/**
 * The whole-object `x-amz-checksum-<algorithm>` header of a completion. Ignored for an upload
 * created without an algorithm, as S3 ignores it. For a COMPOSITE upload it may carry the `-N` of
 * the parts; for a FULL_OBJECT one it counts only with `x-amz-checksum-type: FULL_OBJECT`, as S3
 * answered BadDigest to the right value without it. Mismatch: BadDigest, algorithm in lower case.
 */
export function checkWholeObject(
  req: IncomingMessage,
  upload: UploadRecord,
  checksum: StoredChecksum | undefined,
): Refusal | undefined {
  if (upload.checksumAlgorithm === undefined || !checksum) return undefined;
  const name = Object.keys(req.headers).find(
    (n) =>
      n.startsWith("x-amz-checksum-") &&
      !["x-amz-checksum-type", "x-amz-checksum-mode", "x-amz-checksum-algorithm"].includes(n),
  );
  if (name === undefined) return undefined;
  const text = header(req, name) ?? "";
  const algorithm = name.slice("x-amz-checksum-".length);
  const badDigest = {
    code: "BadDigest" as const,
    message: `The ${algorithm} you specified did not match the calculated checksum.`,
  };
  if (name !== headerOf(checksum.algorithm)) {
    const given = givenChecksum(req);
    return isRefusal(given) ? given : badDigest;
  }
  const [value = "", parts, ...rest] = text.split("-");
  if (
    rest.length > 0 ||
    !isChecksumValue(checksum.algorithm, value) ||
    (parts !== undefined && !/^\d+$/.test(parts))
  ) {
    return { code: "InvalidRequest", message: `Value for ${name} header is invalid.` };
  }
  const [expected, count] = checksum.value.split("-");
  if (checksum.type === "COMPOSITE") {
    return value === expected && (parts === undefined || parts === count) ? undefined : badDigest;
  }
  const typed = header(req, "x-amz-checksum-type") === "FULL_OBJECT";
  return typed && parts === undefined && value === expected ? undefined : badDigest;
}
