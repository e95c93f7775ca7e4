import { createHash, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { syncDirectory, type WriteFault } from "./durable-write";
import { INDEX_FILE, isMissing, type KeyIndex, loadKeyIndexes, writeKeyIndex } from "./key-index";
import { KeyedLock } from "./keyed-lock";
import { migrateLegacyObjects } from "./legacy-layout";
import { SortedKeys } from "./sorted-keys";
import { OpenedVersion } from "./version-reader";
import {
  type DeleteMarker,
  type InstallCondition,
  type InstallOptions,
  type NewVersion,
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
  NULL_VERSION_ID,
  type ObjectAttributes,
  type ObjectVersion,
  type StagedVersion,
  type StoredFile,
  type VersionEntry,
} from "./versions";

export interface ObjectStoreOptions {
  readonly clock?: () => Date;
  readonly fault?: WriteFault;
}

/**
 * The object store behind the local S3 surface: one versioned bucket on disk.
 *
 * Each key has a directory holding its immutable version directories (the bytes: one `data` file,
 * or a completed multipart upload's part files in order) and `index.json`, the key's versions
 * newest first with every version's metadata. A write stages its version directory under `tmp/`,
 * renames it into the key's directory (invisible: nothing names it yet), then replaces the index
 * by writing a new file and renaming it over the old one. That rename is the one step in which the
 * new bytes and their metadata become current together; updates of one key's index are serialized
 * in this process, so with racing writers the last to install wins, whole. A crash leaves at most
 * an unreferenced version directory or index temp file, removed at the next start.
 */
export class ObjectStore {
  private readonly indexes = new Map<string, KeyIndex>();
  /** Every key with at least one version (delete markers included), in S3's order. */
  private keys = new SortedKeys();
  private readonly lock = new KeyedLock();
  private readonly clock: () => Date;

  private constructor(
    private readonly root: string,
    private readonly tmpDir: string,
    readonly fault: WriteFault | undefined,
    clock: (() => Date) | undefined,
  ) {
    this.clock = clock ?? (() => new Date());
  }

  /**
   * Opens the store for `bucket` under `dataDir`: removes what unacknowledged writes left, loads
   * every key's index, and moves objects kept by the unversioned layout in as "null" versions.
   */
  static async open(dataDir: string, bucket: string, options: ObjectStoreOptions = {}): Promise<ObjectStore> {
    const root = path.join(dataDir, "versions", bucket);
    const tmpDir = path.join(dataDir, "tmp");
    await fs.mkdir(root, { recursive: true });
    await fs.mkdir(tmpDir, { recursive: true });
    for (const name of await fs.readdir(tmpDir)) {
      await fs.rm(path.join(tmpDir, name), { recursive: true, force: true });
    }
    const store = new ObjectStore(root, tmpDir, options.fault, options.clock);
    await store.load();
    await migrateLegacyObjects(path.join(dataDir, "objects", bucket), store);
    return store;
  }

  private keyDir(key: string): string {
    return path.join(this.root, createHash("sha256").update(key, "utf8").digest("hex"));
  }

  private async load(): Promise<void> {
    for (const [key, index] of await loadKeyIndexes(this.root)) this.indexes.set(key, index);
    this.keys = new SortedKeys(this.indexes.keys());
  }

  /** A new, empty directory under `tmp/` for a version's files. */
  async stage(): Promise<StagedVersion> {
    const dir = path.join(this.tmpDir, randomUUID());
    await fs.mkdir(dir);
    return { dir };
  }

  async discard(staged: StagedVersion): Promise<void> {
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
      const dir = await this.ensureKeyDir(key);
      try {
        await syncDirectory(staged.dir);
        await fs.rename(staged.dir, path.join(dir, versionId));
      } catch (error) {
        await this.discard(staged);
        throw error;
      }
      const entry: ObjectVersion = {
        key,
        versionId,
        deleteMarker: false,
        size: version.files.reduce((sum, f) => sum + f.size, 0),
        etag: version.etag,
        lastModified: options.lastModified ?? this.clock().toISOString(),
        contentType: version.contentType,
        ...(version.cacheControl === undefined ? {} : { cacheControl: version.cacheControl }),
        ...(version.contentDisposition === undefined
          ? {}
          : { contentDisposition: version.contentDisposition }),
        ...(version.contentEncoding === undefined ? {} : { contentEncoding: version.contentEncoding }),
        ...(version.contentLanguage === undefined ? {} : { contentLanguage: version.contentLanguage }),
        ...(version.expires === undefined ? {} : { expires: version.expires }),
        metadata: version.metadata,
        files: version.files,
      };
      const previous = this.indexes.get(key)?.versions ?? [];
      try {
        await this.writeIndex(key, [entry, ...previous.filter((v) => v.versionId !== versionId)]);
      } catch (error) {
        // The index still names the previous version: the renamed directory is unreferenced.
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
      await this.ensureKeyDir(key);
      await this.writeIndex(key, [marker, ...(this.indexes.get(key)?.versions ?? [])]);
      return marker;
    });
  }

  /** Removes one version or delete marker for good; resolves with what was removed, if anything. */
  async deleteVersion(key: string, versionId: string): Promise<VersionEntry | undefined> {
    return this.lock.run(key, async () => {
      const versions = this.indexes.get(key)?.versions ?? [];
      const removed = versions.find((v) => v.versionId === versionId);
      if (!removed) return undefined;
      const rest = versions.filter((v) => v !== removed);
      const dir = this.keyDir(key);
      if (rest.length === 0) {
        await fs.rm(path.join(dir, INDEX_FILE), { force: true });
        this.forget(key);
        await fs.rm(dir, { recursive: true, force: true });
        return removed;
      }
      await this.writeIndex(key, rest);
      // Readers that opened the files keep reading them; the directory entry goes now.
      if (!removed.deleteMarker) await fs.rm(path.join(dir, versionId), { recursive: true, force: true });
      return removed;
    });
  }

  /** The key's directory, created (and its entry made durable) for the key's first version. */
  private async ensureKeyDir(key: string): Promise<string> {
    const dir = this.keyDir(key);
    if (this.indexes.has(key)) return dir;
    await fs.mkdir(dir, { recursive: true });
    await syncDirectory(this.root);
    return dir;
  }

  private async writeIndex(key: string, versions: readonly VersionEntry[]): Promise<void> {
    const index: KeyIndex = { key, versions };
    await writeKeyIndex(this.keyDir(key), index, this.fault);
    if (!this.indexes.has(key)) this.keys.add(key);
    this.indexes.set(key, index);
  }

  private forget(key: string): void {
    this.indexes.delete(key);
    this.keys.delete(key);
  }

  /** The key's newest entry: its current version, or the delete marker that hides it. */
  current(key: string): VersionEntry | undefined {
    return this.indexes.get(key)?.versions[0];
  }

  version(key: string, versionId: string): VersionEntry | undefined {
    return this.indexes.get(key)?.versions.find((v) => v.versionId === versionId);
  }

  /** All versions and delete markers of a key, newest first. */
  versions(key: string): readonly VersionEntry[] {
    return this.indexes.get(key)?.versions ?? [];
  }

  /** Keys with any version, in order, starting at the first key above `after` ("" for all). */
  keysAfter(after: string): Generator<string> {
    return this.keys.after(after);
  }

  /** Where a version's file lives, for hard links that reuse its bytes. */
  filePath(version: ObjectVersion, file: StoredFile): string {
    return path.join(this.keyDir(version.key), version.versionId, file.file);
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
