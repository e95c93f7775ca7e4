import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { BucketKeys } from "./bucket-keys";
import { syncDirectory, type WriteFault } from "./durable-write";
import type { KeyHistory } from "./key-history";
import { isMissing, type LogWriteOptions } from "./key-log";
import { KeyedLock } from "./keyed-lock";
import { migrateLegacyObjects } from "./legacy-layout";
import type { SortedKeys } from "./sorted-keys";
import { OpenedVersion } from "./version-reader";
import {
  type DeleteMarker,
  type InstallCondition,
  type InstallOptions,
  type NewVersion,
  NOTHING_STAGED,
  newVersionId,
  type ObjectVersion,
  type StagedVersion,
  type StoredFile,
  type VersionEntry,
} from "./versions";

export { OpenedVersion } from "./version-reader";
export {
  compareKeys,
  type DeleteMarker,
  type InstallCondition,
  type InstallOptions,
  isVersionId,
  type NewVersion,
  NOTHING_STAGED,
  NULL_VERSION_ID,
  type ObjectAttributes,
  type ObjectVersion,
  type StagedVersion,
  type StoredChecksum,
  type StoredFile,
  type VersionEntry,
} from "./versions";

export interface ObjectStoreOptions {
  readonly clock?: () => Date;
  readonly fault?: WriteFault;
  /**
   * False only to build test fixtures fast: nothing is synced to disk, so a crash can lose what was
   * written. The storage itself always opens its store durable.
   */
  readonly durable?: boolean;
}

/**
 * The object store behind the local S3 surface: one versioned bucket on disk.
 *
 * Each key has a directory holding its immutable version directories (the bytes: one `data` file,
 * or a completed multipart upload's part files in order) and its versions' metadata, kept by
 * `key-log.ts` as a snapshot and an append-only log. A write stages its version directory under
 * `tmp/`, renames it into the key's directory (invisible: nothing names it yet), then appends the
 * version to the key's log and syncs it. That line is the one step in which the new bytes and their
 * metadata become current together, and it costs the same however long the key's history is.
 * Changes to one key are serialized in this process, so with racing writers the last to install
 * wins, whole. A crash leaves at most an unreferenced version directory or a torn last log line,
 * both removed at the next start.
 */
export class ObjectStore {
  private readonly keys: BucketKeys;
  private readonly lock = new KeyedLock();
  private readonly clock: () => Date;
  private readonly writes: LogWriteOptions;

  private constructor(
    root: string,
    private readonly tmpDir: string,
    readonly fault: WriteFault | undefined,
    options: ObjectStoreOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.writes = { durable: options.durable ?? true, ...(fault ? { fault } : {}) };
    this.keys = new BucketKeys(root, this.writes);
  }

  get durable(): boolean {
    return this.writes.durable;
  }

  /**
   * Opens the store for `bucket` under `dataDir`: removes what unacknowledged writes left, loads
   * every key's versions, and moves objects kept by the unversioned layout in as "null" versions.
   */
  static async open(dataDir: string, bucket: string, options: ObjectStoreOptions = {}): Promise<ObjectStore> {
    const root = path.join(dataDir, "versions", bucket);
    const tmpDir = path.join(dataDir, "tmp");
    await fs.mkdir(root, { recursive: true });
    await fs.mkdir(tmpDir, { recursive: true });
    for (const name of await fs.readdir(tmpDir)) {
      await fs.rm(path.join(tmpDir, name), { recursive: true, force: true });
    }
    const store = new ObjectStore(root, tmpDir, options.fault, options);
    await store.keys.load();
    await migrateLegacyObjects(path.join(dataDir, "objects", bucket), store);
    return store;
  }

  /** A new, empty directory under `tmp/` for a version's files. */
  async stage(): Promise<StagedVersion> {
    const dir = path.join(this.tmpDir, randomUUID());
    await fs.mkdir(dir);
    return { dir };
  }

  async discard(staged: StagedVersion): Promise<void> {
    if (staged === NOTHING_STAGED) return;
    await fs.rm(staged.dir, { recursive: true, force: true });
  }

  /**
   * Makes a staged version the key's current one. Resolves with the installed version, or with the
   * condition's refusal (the staged files are then removed).
   */
  async install(
    key: string,
    staged: StagedVersion,
    version: NewVersion,
    options: InstallOptions = {},
  ): Promise<ObjectVersion | { refused: string }> {
    const versionId = options.versionId ?? newVersionId();
    return this.lock.run(key, async () => {
      const refused = options.condition?.(this.current(key));
      if (refused !== undefined) {
        await this.discard(staged);
        return { refused };
      }
      const dir = await this.keys.ensureKeyDir(key);
      try {
        if (version.files.length === 0) {
          // An empty object has no bytes, so no directory.
          if (staged !== NOTHING_STAGED) await fs.rmdir(staged.dir);
        } else {
          if (this.durable) await syncDirectory(staged.dir);
          await fs.rename(staged.dir, path.join(dir, versionId));
          // The version's name must be durable before a log line names it.
          if (this.durable) await syncDirectory(dir);
        }
      } catch (error) {
        await this.discard(staged);
        throw error;
      }
      const { files, ...attributes } = version;
      const entry: ObjectVersion = {
        key,
        versionId,
        deleteMarker: false,
        size: files.reduce((sum, f) => sum + f.size, 0),
        lastModified: options.lastModified ?? this.clock().toISOString(),
        ...attributes,
        files,
      };
      try {
        await this.keys.append(key, [{ add: entry }]);
      } catch (error) {
        // Nothing names the renamed directory: it goes, and the previous version stays current.
        await fs.rm(path.join(dir, versionId), { recursive: true, force: true });
        throw error;
      }
      return entry;
    });
  }

  /**
   * S3's DELETE without a version ID on a versioned bucket: a delete marker becomes current. With
   * `condition`, checked against the current version under the key's lock, its refusal instead.
   */
  async addDeleteMarker(key: string): Promise<DeleteMarker>;
  async addDeleteMarker(
    key: string,
    condition: InstallCondition | undefined,
  ): Promise<DeleteMarker | { refused: string }>;
  async addDeleteMarker(
    key: string,
    condition?: InstallCondition,
  ): Promise<DeleteMarker | { refused: string }> {
    return this.lock.run(key, async () => {
      const refused = condition?.(this.current(key));
      if (refused) return { refused };
      const marker: DeleteMarker = {
        key,
        versionId: newVersionId(),
        deleteMarker: true,
        lastModified: this.clock().toISOString(),
      };
      await this.keys.ensureKeyDir(key);
      await this.keys.append(key, [{ add: marker }]);
      return marker;
    });
  }

  /**
   * Removes one version or delete marker for good; resolves with what was removed, if anything.
   * The removal is one rename (the version's directory, or the whole key's for its last version),
   * and its bytes are freed before anything is written, so it works on a full disk.
   */
  async deleteVersion(key: string, versionId: string): Promise<VersionEntry | undefined> {
    return this.lock.run(key, () => this.keys.remove(key, versionId));
  }

  /** The key's newest entry: its current version, or the delete marker that hides it. */
  current(key: string): VersionEntry | undefined {
    return this.keys.history(key)?.current();
  }

  version(key: string, versionId: string): VersionEntry | undefined {
    return this.keys.history(key)?.get(versionId);
  }

  /** All versions and delete markers of a key, newest first. */
  versions(key: string): VersionEntry[] {
    return this.keys.history(key)?.list() ?? [];
  }

  /** The key's versions in memory, for walking them without a copy (listings, expiry). */
  history(key: string): KeyHistory | undefined {
    return this.keys.history(key);
  }

  /** Keys with any version, in order, starting at the first key above `after` ("" for all). */
  keysAfter(after: string): Generator<string> {
    return this.keys.sorted.after(after);
  }

  /** Every key with any version, in order, for listings that seek by binary search. */
  get sortedKeys(): SortedKeys {
    return this.keys.sorted;
  }

  /** Where a version's file lives, for hard links that reuse its bytes. */
  filePath(version: ObjectVersion, file: StoredFile): string {
    return path.join(this.keys.keyDir(version.key), version.versionId, file.file);
  }

  /**
   * Opens a version's files so that the bytes stay readable whatever happens to the key next.
   * Resolves undefined when the version was removed before it could be opened.
   */
  async openVersion(version: ObjectVersion): Promise<OpenedVersion | undefined> {
    const handles: fs.FileHandle[] = [];
    try {
      for (const file of version.files) handles.push(await fs.open(this.filePath(version, file), "r"));
    } catch (error) {
      await Promise.all(handles.map((h) => h.close()));
      if (isMissing(error)) return undefined;
      throw error;
    }
    return new OpenedVersion(version, handles);
  }
}
