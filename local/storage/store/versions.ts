/** What the object store keeps for each version of a key, and the rules for version IDs and key order. */
export interface ObjectAttributes {
  readonly contentType: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly expires?: string;
  /** `x-amz-meta-*` headers, by lower-case name without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface StoredFile {
  /** A file name inside the version's directory. */
  readonly file: string;
  readonly size: number;
}

export interface ObjectVersion extends ObjectAttributes {
  readonly key: string;
  readonly versionId: string;
  readonly deleteMarker: false;
  readonly size: number;
  readonly etag: string;
  /** ISO 8601 with milliseconds, as S3 lists it. */
  readonly lastModified: string;
  /** The bytes in order: one file for a single upload, one per part for a completed multipart upload. */
  readonly files: readonly StoredFile[];
}

export interface DeleteMarker {
  readonly key: string;
  readonly versionId: string;
  readonly deleteMarker: true;
  readonly lastModified: string;
}

export type VersionEntry = ObjectVersion | DeleteMarker;

/** A version directory being filled under `tmp/`, installed by `install` or dropped by `discard`. */
export interface StagedVersion {
  readonly dir: string;
}

export interface NewVersion extends ObjectAttributes {
  readonly etag: string;
  readonly files: readonly StoredFile[];
}

/** Decides, against the key's current entry, whether an install may go ahead (conditional writes). */
export type InstallCondition = (current: VersionEntry | undefined) => string | undefined;

export interface InstallOptions {
  readonly condition?: InstallCondition;
  /** Only for data moved in from the unversioned layout, which S3 would call the "null" version. */
  readonly versionId?: string;
  readonly lastModified?: string;
}

/**
 * S3 version IDs are opaque URL-safe strings of up to 1,024 characters; ours are 32 characters of
 * base64url. "null" is the ID S3 gives objects written before versioning was enabled (ours: data
 * from the unversioned layout).
 */
export const NULL_VERSION_ID = "null";
const VERSION_ID = /^[A-Za-z0-9_-]{32}$/;

export function isVersionId(text: string): boolean {
  return text === NULL_VERSION_ID || VERSION_ID.test(text);
}

/** S3 orders keys by their UTF-8 bytes, which is code point order, not UTF-16 unit order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
