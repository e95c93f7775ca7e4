import { createHash, randomBytes } from "node:crypto";
import { promises as fs, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { syncDirectory } from "./durable-write";
import { KeyHistory } from "./key-history";
import {
  appendLog,
  isMissing,
  type LogRecord,
  type LogWriteOptions,
  loadKeyDir,
  TOMBSTONE,
  writeSnapshot,
} from "./key-log";
import { SortedKeys } from "./sorted-keys";
import type { VersionEntry } from "./versions";

interface KeyState {
  readonly history: KeyHistory;
  hasLog: boolean;
  logRecords: number;
  /** Tombstones whose `remove` line could not be written yet (a full disk). */
  readonly tombstones: Set<string>;
}

/** A log longer than this and than the key's version count is folded into a new snapshot. */
const MIN_LOG_RECORDS_TO_COMPACT = 64;

/**
 * A bucket's keys: each key's versions in memory (`KeyHistory`) and on disk (its directory, named
 * by the SHA-256 of the key, with the snapshot and log of `key-log.ts`), and every key in S3's
 * order. Changes to one key must not overlap: `ObjectStore` runs them under the key's lock.
 */
export class BucketKeys {
  private readonly states = new Map<string, KeyState>();
  /** Every key with at least one version (delete markers included), in S3's order. */
  private keys = new SortedKeys();

  constructor(
    private readonly root: string,
    private readonly writes: LogWriteOptions,
  ) {}

  keyDir(key: string): string {
    return path.join(this.root, createHash("sha256").update(key, "utf8").digest("hex"));
  }

  history(key: string): KeyHistory | undefined {
    return this.states.get(key)?.history;
  }

  get sorted(): SortedKeys {
    return this.keys;
  }

  /** Loads every key at start, and settles what removals left behind a crash or a full disk. */
  async load(): Promise<void> {
    const settle: Array<[string, KeyState, string]> = [];
    for (const name of readdirSync(this.root)) {
      const dir = path.join(this.root, name);
      // A key whose last version was removed: the rename was the removal.
      if (name.endsWith(TOMBSTONE)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const loaded = loadKeyDir(dir);
      if (!loaded) continue;
      const state: KeyState = {
        history: loaded.history,
        hasLog: loaded.hasLog,
        logRecords: loaded.logRecords,
        tombstones: new Set(loaded.unrecorded),
      };
      this.states.set(loaded.history.key, state);
      if (state.tombstones.size > 0) settle.push([loaded.history.key, state, dir]);
    }
    this.keys = new SortedKeys(this.states.keys());
    for (const [key, state, dir] of settle) await this.settleTombstones(key, state, dir);
  }

  /** Frees what removed versions' tombstones still hold and, when a snapshot can be written, drops them. */
  private async settleTombstones(key: string, state: KeyState, dir: string): Promise<void> {
    for (const versionId of state.tombstones) await emptyDirectory(path.join(dir, versionId + TOMBSTONE));
    await this.compact(key, state).catch(() => undefined);
  }

  /** The key's directory, created (and its entry made durable) for the key's first version. */
  async ensureKeyDir(key: string): Promise<string> {
    const dir = this.keyDir(key);
    if (this.states.has(key)) return dir;
    await fs.mkdir(dir, { recursive: true });
    if (this.writes.durable) await syncDirectory(this.root);
    return dir;
  }

  /** Appends to the key's log (applying the records in memory once they are durable), then compacts. */
  async append(key: string, records: readonly LogRecord[]): Promise<void> {
    const existing = this.states.get(key);
    await appendLog(this.keyDir(key), key, records, !existing?.hasLog, this.writes);
    let state = existing;
    if (!state) {
      state = { history: new KeyHistory(key), hasLog: true, logRecords: 0, tombstones: new Set() };
      this.states.set(key, state);
      this.keys.add(key);
    }
    state.hasLog = true;
    state.logRecords += records.length;
    for (const record of records) {
      if ("add" in record) state.history.add(record.add);
      else state.history.remove(record.remove);
    }
    if (state.logRecords >= MIN_LOG_RECORDS_TO_COMPACT && state.logRecords > state.history.size) {
      // The change is durable already; a snapshot that cannot be written now is tried again later.
      await this.compact(key, state).catch(() => undefined);
    }
  }

  private async compact(key: string, state: KeyState): Promise<void> {
    const dir = this.keyDir(key);
    await writeSnapshot(dir, key, state.history.list(), this.writes);
    state.hasLog = false;
    state.logRecords = 0;
    for (const versionId of state.tombstones) {
      await fs.rm(path.join(dir, versionId + TOMBSTONE), { recursive: true, force: true });
    }
    state.tombstones.clear();
  }

  /**
   * Removes one version or delete marker for good; resolves with what was removed, if anything.
   * The removal is one rename (the version's directory, or the whole key's for its last version),
   * and its bytes are freed before anything is written, so it works on a full disk.
   */
  async remove(key: string, versionId: string): Promise<VersionEntry | undefined> {
    const state = this.states.get(key);
    const removed = state?.history.get(versionId);
    if (!state || !removed) return undefined;
    const dir = this.keyDir(key);
    if (state.history.size === 1) {
      const trash = `${dir}.${randomBytes(6).toString("hex")}${TOMBSTONE}`;
      await fs.rename(dir, trash);
      if (this.writes.durable) await syncDirectory(this.root);
      this.states.delete(key);
      this.keys.delete(key);
      // Readers that opened the files keep reading them; the names go now.
      await fs.rm(trash, { recursive: true, force: true });
      return removed;
    }
    const tombstone = path.join(dir, versionId + TOMBSTONE);
    try {
      await fs.rename(path.join(dir, versionId), tombstone);
    } catch (error) {
      // A delete marker has no directory: an empty one stands for its removal.
      if (!isMissing(error)) throw error;
      await fs.mkdir(tombstone);
    }
    if (this.writes.durable) await syncDirectory(dir);
    state.history.remove(versionId);
    await emptyDirectory(tombstone);
    try {
      await this.append(key, [{ remove: versionId }]);
      await fs.rmdir(tombstone);
    } catch {
      // The tombstone records the removal until a snapshot can be written.
      state.tombstones.add(versionId);
    }
    return removed;
  }
}

/** Removes what a directory holds, keeping the directory. */
async function emptyDirectory(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const name of names) await fs.rm(path.join(dir, name), { recursive: true, force: true });
}
