import type { Algorithm, ChecksumType } from "../checksums/algorithms";
import type { ObjectAttributes, StoredFile } from "./versions";

/** What the multipart uploads on disk record: the upload, its parts, and its completion. */
export interface UploadRecord extends ObjectAttributes {
  readonly key: string;
  readonly initiated: string;
  /** From CreateMultipartUpload's x-amz-checksum-algorithm and -type; absent when it named none. */
  readonly checksumAlgorithm?: Algorithm;
  readonly checksumType?: ChecksumType;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: string;
  /** The part's bytes in the upload's directory; records of older uploads name `part-N`. */
  readonly file?: string;
  /**
   * The part's checksum in the upload's algorithm, or CRC64NVME for an upload created without one
   * (from which its default full-object checksum is combined). Absent in records of older parts.
   */
  readonly checksum?: { readonly algorithm: Algorithm; readonly value: string };
}

/** S3's rule: every part but the last is at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export type CompleteProblem = "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall";

export interface LinkedParts {
  readonly etag: string;
  readonly files: readonly StoredFile[];
}

/** What a completed upload leaves behind: the answer a retry of its completion gets again. */
export interface CompletedUpload {
  readonly key: string;
  readonly initiated: string;
  /** The parts the completion named, in order, ETags without quotes. */
  readonly parts: ReadonlyArray<{ readonly partNumber: number; readonly etag: string }>;
  readonly versionId: string;
  readonly etag: string;
  readonly answer: string;
}

/**
 * The parts a completion names, checked as S3 checks them: in ascending order, each uploaded with
 * that ETag, and all but the last at least 5 MiB. `at` points at the part entry that named no part.
 */
export function chooseParts(
  uploadedParts: readonly PartRecord[],
  requested: ReadonlyArray<{ partNumber: number; etag: string }>,
): PartRecord[] | { problem: CompleteProblem; at?: number } {
  const uploaded = new Map(uploadedParts.map((p) => [p.partNumber, p]));
  let previous = 0;
  const parts: PartRecord[] = [];
  for (const [at, r] of requested.entries()) {
    if (r.partNumber <= previous) return { problem: "InvalidPartOrder" };
    previous = r.partNumber;
    const part = uploaded.get(r.partNumber);
    if (!part || part.etag.replace(/"/g, "") !== r.etag.replace(/"/g, ""))
      return { problem: "InvalidPart", at };
    parts.push(part);
  }
  if (parts.length === 0) return { problem: "InvalidPart" };
  if (parts.slice(0, -1).some((p) => p.size < MIN_PART_BYTES)) return { problem: "EntityTooSmall" };
  return parts;
}

/** The part's file in the upload's directory; records of older uploads name none (`part-N`). */
export function partFile(part: PartRecord): string {
  return part.file ?? `part-${part.partNumber}`;
}
