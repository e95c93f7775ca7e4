/** The shapes of the API's JSON answers the Node client reads, beyond those in functions/api/shapes.ts. */
import type { ChecksumAlgorithm, ChecksumType, ObjectChecksum } from "../functions/api/checksums";

/** One transfer the API tells the client to make (its JSON mode). */
export interface Instruction {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export interface MultipartUpload {
  readonly uploadId: string;
  readonly key: string;
  readonly partSize: number;
  readonly maxParts: number;
  /** The algorithm storage checks every part against; absent when the upload has none. */
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
}

export interface PartUrl {
  readonly partNumber: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

/** A part named in the completion: its ETag, and the CRC64NVME storage verified it against. */
export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly checksum: string;
}

/** What a completion, a single PUT's instruction or a copy made: the object and its checksum. */
export interface CompletedUpload {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly versionId?: string;
  readonly checksum?: ObjectChecksum;
}

/** One key's purge: every version and delete marker gone, the CDN told to forget the key's paths. */
export interface PurgeAnswer {
  readonly key: string;
  readonly deletedVersions: number;
  readonly invalidation: Invalidation;
}

/** A CloudFront invalidation (CreateInvalidation's answer). */
export interface Invalidation {
  readonly id: string;
  readonly status: string;
  readonly paths: readonly string[];
}

/** The batch purge's answer: keys purged, keys refused, one invalidation for all their paths. */
export interface PurgeManyAnswer {
  readonly purged: ReadonlyArray<{ readonly key: string; readonly deletedVersions: number }>;
  readonly errors: ReadonlyArray<{ readonly key: string; readonly code: string; readonly message: string }>;
  /** Null when no key was purged. */
  readonly invalidation: Invalidation | null;
}
