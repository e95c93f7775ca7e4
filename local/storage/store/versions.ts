import { randomBytes } from "node:crypto";
import type { Algorithm, ChecksumType } from "../checksums/algorithms";

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
  /** A multipart object's part: its checksum in the object's algorithm. */
  readonly checksum?: string;
}

/** An object's checksum as S3 keeps it; a COMPOSITE value ends in `-N`, N the number of parts. */
export interface StoredChecksum {
  readonly algorithm: Algorithm;
  readonly type: ChecksumType;
  readonly value: string;
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
  /** Absent only for versions stored before checksums were kept. */
  readonly checksum?: StoredChecksum;
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

/** What an empty version installs: it has no bytes, so no directory is staged for it. */
export const NOTHING_STAGED: StagedVersion = { dir: "" };

export interface NewVersion extends ObjectAttributes {
  readonly etag: string;
  readonly files: readonly StoredFile[];
  readonly checksum?: StoredChecksum;
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
 * S3 version IDs are opaque URL-safe strings of up to 1,024 characters; the ones S3 hands out today
 * are 32 characters of letters, digits, '.' and '_' (e.g. `fSjzpZJ7hCEqPyEwbUYwzP5wjtoOu.QP`), and
 * none begins with '-', so a command line never takes one for an option. Ours are made the same way.
 * IDs this store made before (base64url, which may hold or begin with '-') stay valid.
 * "null" is the ID S3 gives objects written before versioning was enabled (ours: data from the
 * unversioned layout).
 */
export const NULL_VERSION_ID = "null";
const VERSION_ID = /^[A-Za-z0-9._-]{32}$/;
const ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
const ALPHANUMERIC = 62;

export function isVersionId(text: string): boolean {
  return text === NULL_VERSION_ID || VERSION_ID.test(text);
}

/** A new version ID: 32 characters, uniformly random, the first a letter or a digit. */
export function newVersionId(): string {
  const bytes = randomBytes(40);
  // 64 symbols: each byte's low six bits pick one without bias. The first character takes the first
  // byte below 248 (4 × 62) modulo 62, so it too is unbiased and never '.' or '_'.
  const first = bytes.subarray(32).find((b) => b < 4 * ALPHANUMERIC) ?? 0;
  let id = ID_CHARACTERS[first % ALPHANUMERIC] ?? "A";
  for (let i = 1; i < 32; i += 1) id += ID_CHARACTERS[(bytes[i] ?? 0) & 63];
  return id;
}

/**
 * S3 orders keys by their UTF-8 bytes, which is code point order, not UTF-16 unit order. The two
 * differ only where one string has a surrogate (a code point above U+FFFF) and the other a unit
 * from U+E000 to U+FFFF at the first difference; comparing units with that one correction needs no
 * encoding, which a listing, doing it for every key it passes, would otherwise pay each time.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit's place in code point order: surrogates (U+D800–U+DFFF) after U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
