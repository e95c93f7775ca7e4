import type { VersionEntry } from "./versions";

/**
 * One key's versions and delete markers in memory, oldest first, with an index by version ID. A
 * new version is appended and found by ID in constant time whatever the key's history; only
 * removing one from the middle moves the entries after it, which costs microseconds even for tens
 * of thousands of versions, far below the disk write that goes with it.
 */
export class KeyHistory {
  private readonly entries: VersionEntry[] = [];
  private readonly byId = new Map<string, VersionEntry>();

  constructor(readonly key: string) {}

  get size(): number {
    return this.entries.length;
  }

  /** The newest entry: the current version, or the delete marker that hides it. */
  current(): VersionEntry | undefined {
    return this.entries.at(-1);
  }

  get(versionId: string): VersionEntry | undefined {
    return this.byId.get(versionId);
  }

  /**
   * Makes `entry` the newest. An ID already present is left where it is and false returned: a log
   * replayed over a snapshot that already holds its effect (a crash during compaction) changes nothing.
   */
  add(entry: VersionEntry): boolean {
    if (this.byId.has(entry.versionId)) return false;
    this.entries.push(entry);
    this.byId.set(entry.versionId, entry);
    return true;
  }

  remove(versionId: string): VersionEntry | undefined {
    const entry = this.byId.get(versionId);
    if (!entry) return undefined;
    this.byId.delete(versionId);
    // Removals are mostly of recent entries (a DELETE of the version just written) or of the oldest
    // (expiry): search from the end, as splice moves only what follows.
    const at = this.entries.lastIndexOf(entry);
    this.entries.splice(at, 1);
    return entry;
  }

  /** Newest first, starting after `versionId` when given (a listing's version-id-marker). */
  *newestFirst(after?: string): Generator<VersionEntry> {
    let at = this.entries.length - 1;
    if (after !== undefined) {
      const marker = this.byId.get(after);
      at = marker ? this.entries.lastIndexOf(marker) - 1 : -1;
    }
    for (; at >= 0; at -= 1) {
      const entry = this.entries[at];
      if (entry) yield entry;
    }
  }

  /** Newest first, as a snapshot stores them. */
  list(): VersionEntry[] {
    return [...this.newestFirst()];
  }
}
