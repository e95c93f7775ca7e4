import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_HEADERS,
  CHECKSUM_TYPE_HEADER,
  type ChecksumAlgorithm,
  type ChecksumType,
  type ObjectChecksum,
} from "../api/checksums";
import type { ListedChecksum } from "../api/shapes";

/** The SDK's member for each algorithm's value (CompleteMultipartUpload, CopyObjectResult, Part, CompletedPart). */
export const CHECKSUM_MEMBERS = {
  CRC64NVME: "ChecksumCRC64NVME",
  SHA256: "ChecksumSHA256",
} as const satisfies Record<ChecksumAlgorithm, string>;

/** The checksum members of an S3 answer, as the SDK names them. */
export interface ChecksumFields {
  readonly ChecksumCRC64NVME?: string | undefined;
  readonly ChecksumSHA256?: string | undefined;
  readonly ChecksumType?: string | undefined;
}

/**
 * The type S3 gave, or the one the value implies when S3 gave none: "The CRC64NVME checksum is
 * always a full object checksum" (Amazon S3 API Reference, "Checksum"), and a COMPOSITE value ends
 * in `-N`, N the number of parts ("Checking object integrity in Amazon S3").
 */
function typeOf(value: string, given: string | undefined): ChecksumType {
  if (given === "FULL_OBJECT" || given === "COMPOSITE") return given;
  return /-\d+$/.test(value) ? "COMPOSITE" : "FULL_OBJECT";
}

/**
 * The object's checksum from an S3 answer's members; undefined when S3 named none of the store's
 * algorithms (an object written straight to the bucket with CRC32, say, has no checksum a reader
 * of this API is asked to check).
 */
export function checksumFromFields(fields: ChecksumFields): ObjectChecksum | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = fields[CHECKSUM_MEMBERS[algorithm]];
    if (value) return { algorithm, type: typeOf(value, fields.ChecksumType), value };
  }
  return undefined;
}

/** The same from HeadObject's headers (`x-amz-checksum-<alg>`, `x-amz-checksum-type`). */
export function checksumFromHeaders(
  header: (name: string) => string | undefined,
): ObjectChecksum | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = header(CHECKSUM_HEADERS[algorithm]);
    if (value) return { algorithm, type: typeOf(value, header(CHECKSUM_TYPE_HEADER)), value };
  }
  return undefined;
}

/**
 * A listing's `ChecksumAlgorithm` (a list) and `ChecksumType` (ListObjectsV2, ListObjectVersions):
 * the algorithm and type, when the algorithm is one of the store's and the type is known.
 */
export function listedChecksum(
  algorithms: readonly string[] | undefined,
  type: string | undefined,
): ListedChecksum | undefined {
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => algorithms?.includes(a));
  if (algorithm === undefined) return undefined;
  if (type === "FULL_OBJECT" || type === "COMPOSITE") return { algorithm, type };
  return algorithm === "CRC64NVME" ? { algorithm, type: "FULL_OBJECT" } : undefined;
}
