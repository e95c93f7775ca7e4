import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { syncDirectory, type WriteFault, writeSmallFileDurably } from "./durable-write";
import type { VersionEntry } from "./versions";

/** A key's versions as its directory's `index.json` holds them. */
export interface KeyIndex {
  readonly key: string;
  /** Newest first. */
  readonly versions: readonly VersionEntry[];
}

export const INDEX_FILE = "index.json";

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/**
 * Every key's index under `root` (one directory per key), by key. What a crash left of writes that
 * were never acknowledged goes first: a key directory without an index, and in each key directory
 * the entries its index does not name (a version renamed in, an index temp file).
 */
export async function loadKeyIndexes(root: string): Promise<Map<string, KeyIndex>> {
  const indexes = new Map<string, KeyIndex>();
  for (const name of await fs.readdir(root)) {
    const dir = path.join(root, name);
    let index: KeyIndex | undefined;
    try {
      index = JSON.parse(await fs.readFile(path.join(dir, INDEX_FILE), "utf8")) as KeyIndex;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    if (!index || index.versions.length === 0) {
      // A first version renamed in, then a crash before its index: never acknowledged.
      await fs.rm(dir, { recursive: true, force: true });
      continue;
    }
    const referenced = new Set(index.versions.map((v) => v.versionId));
    for (const entry of await fs.readdir(dir)) {
      if (entry !== INDEX_FILE && !referenced.has(entry)) {
        await fs.rm(path.join(dir, entry), { recursive: true, force: true });
      }
    }
    indexes.set(index.key, index);
  }
  return indexes;
}

/**
 * Replaces the index in `dir`: a new file, made durable, renamed over the old one, then the
 * directory entry made durable. The rename is the one step in which the index changes. `fault`, a
 * test's stand-in for a failing disk, is called before the write.
 */
export async function writeKeyIndex(dir: string, index: KeyIndex, fault?: WriteFault): Promise<void> {
  const tmp = path.join(dir, `${INDEX_FILE}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    fault?.(tmp, 0);
    await writeSmallFileDurably(tmp, JSON.stringify(index));
    await fs.rename(tmp, path.join(dir, INDEX_FILE));
    await syncDirectory(dir);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}
