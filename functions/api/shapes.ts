/**
 * The shapes of the API's JSON answers, as types only: the handler builds them, and the Node client
 * and the browser SDK read them with `import type`, so the three never drift apart and the browser
 * bundle takes no code from here.
 */

import type { ChecksumAlgorithm, ChecksumType, ObjectChecksum } from "./checksums";

/** What the store knows of an object; fields it does not know are absent. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** With its quotes, as S3 sends it. */
  readonly etag: string;
  /** Absent for a bucket without versioning. */
  readonly versionId?: string;
  readonly contentType?: string;
  /** ISO 8601. */
  readonly lastModified?: string;
  /**
   * Never set: `x-amz-meta-sha256` was a client's claim S3 never checked, and `checksum` replaces
   * it. Kept in the type until no client reads it.
   */
  readonly sha256?: string;
  readonly contentDisposition?: string;
  /** What S3 verified the bytes against when they were written, and checks a download against. */
  readonly checksum?: ObjectChecksum;
}

/** A listing names the algorithm and type of an object's checksum, not its value (ListObjectsV2). */
export interface ListedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
}

/** One object in a listing. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** ISO 8601. */
  readonly lastModified: string;
  readonly checksum?: ListedChecksum;
}

/** One version of a key in `GET /{key}?versions`, newest first. */
export interface ObjectVersion {
  readonly versionId: string;
  /** Absent on a delete marker, which has no bytes. */
  readonly size?: number;
  readonly etag?: string;
  readonly lastModified: string;
  readonly isLatest: boolean;
  readonly deleteMarker: boolean;
  readonly checksum?: ListedChecksum;
}

/** One page of `GET /{prefix}/`: objects, and the prefixes one level down (none when recursive). */
export interface ListPage {
  readonly prefix: string;
  readonly objects: readonly ListedObject[];
  /** Each ends in `/`. */
  readonly prefixes: readonly string[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: string | null;
}

/** The CloudFront invalidation a purge made: `status` is `InProgress` until every edge has dropped the paths. */
export interface PurgeInvalidation {
  readonly id: string;
  readonly status: string;
  readonly paths: readonly string[];
}

/** `DELETE /{key}?purge`: every version and delete marker deleted, and the CDN's copies invalidated. */
export interface PurgeAnswer {
  readonly key: string;
  readonly deletedVersions: number;
  readonly invalidation: PurgeInvalidation;
}

/** A key of a batch that was not done, and why. */
export interface BatchKeyError {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/** `POST /?delete&purge`: one invalidation for every key purged; null when none was. */
export interface BatchPurgeAnswer {
  readonly purged: ReadonlyArray<{ readonly key: string; readonly deletedVersions: number }>;
  readonly errors: readonly BatchKeyError[];
  readonly invalidation: PurgeInvalidation | null;
}
