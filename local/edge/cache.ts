export interface CacheEntry {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly expiresAt: number;
}

/** Four 64-bit counters: entries, bytes, hits, misses. */
export const STATS_BYTES = 4 * 8;

export interface CacheStats {
  readonly entries: number;
  /** Bytes of cached bodies. */
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

/** Room held in the cache for an object being read from the origin, until it is stored or dropped. */
export interface Reservation {
  readonly bytes: number;
  released: boolean;
}

/**
 * The edge's object cache, bounded in bytes: when a new object does not fit, the least recently
 * used ones go first, as an edge location evicts objects before they expire to make room for those
 * requested more recently (CloudFront Developer Guide, "Manage how long content stays in the
 * cache"). A Map keeps insertion order, so re-inserting on every hit keeps the least recently used
 * entry first. An object still arriving from the origin holds a reservation of its size, so cached
 * bodies and bodies being filled together never exceed the bound.
 */
export class EdgeCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;
  private reserved = 0;
  private hits = 0;
  private misses = 0;
  private readonly counters: BigInt64Array;

  /** `statsBuffer`, when given, receives the counters at every change (see `readCacheStats`). */
  constructor(
    private readonly maxBytes: number,
    statsBuffer: SharedArrayBuffer = new SharedArrayBuffer(STATS_BYTES),
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
      throw new RangeError(`[maxCacheBytes] must be a non-negative integer, got ${maxBytes}`);
    this.counters = new BigInt64Array(statsBuffer);
  }

  /** The live entry for `key`, counted as a hit, or undefined, counted as a miss. */
  lookup(key: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) this.remove(key, entry);
    if (!entry || entry.expiresAt <= now) {
      this.count("miss");
      return undefined;
    }
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    this.count("hit");
    return entry;
  }

  /** Counts a request answered without the cache's own lookup: one that joined an object in flight. */
  count(kind: "hit" | "miss"): void {
    if (kind === "hit") this.hits += 1;
    else this.misses += 1;
    this.publish();
  }

  /**
   * Holds room for an object of `size` bytes, evicting the least recently used entries as needed,
   * or undefined when objects already in flight leave too little room even in an empty cache.
   */
  reserve(size: number): Reservation | undefined {
    if (size > this.maxBytes - this.reserved) return undefined;
    this.makeRoom(size);
    this.reserved += size;
    return { bytes: size, released: false };
  }

  /** Gives the room back (the object was not cached after all). */
  release(reservation: Reservation): void {
    if (reservation.released) return;
    reservation.released = true;
    this.reserved -= reservation.bytes;
  }

  /** Stores `entry`, into the room `reservation` held for it when given. */
  store(key: string, entry: CacheEntry, reservation?: Reservation): void {
    if (reservation) this.release(reservation);
    if (entry.body.length > this.maxBytes - this.reserved) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.makeRoom(entry.body.length);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    this.publish();
  }

  /**
   * Drops every entry whose key an invalidation path names: the path exactly, or every key that
   * starts with it when it ends in `*` (CloudFront Developer Guide, "Specifying the files to
   * invalidate"). A key carries its query string, so `/a.txt*` also drops `/a.txt?versionId=…`.
   */
  invalidate(paths: readonly string[]): number {
    let dropped = 0;
    for (const [key, entry] of [...this.entries]) {
      if (!paths.some((path) => invalidationMatches(path, key))) continue;
      this.remove(key, entry);
      dropped += 1;
    }
    this.publish();
    return dropped;
  }

  stats(): CacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }

  private makeRoom(size: number): void {
    for (const [oldKey, old] of this.entries) {
      if (this.bytes + this.reserved + size <= this.maxBytes) break;
      this.remove(oldKey, old);
    }
  }

  private publish(): void {
    const values = [this.entries.size, this.bytes, this.hits, this.misses];
    for (const [i, value] of values.entries()) Atomics.store(this.counters, i, BigInt(value));
  }

  private remove(key: string, entry: CacheEntry): void {
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}

/** Whether an invalidation path (`/a.txt`, or `/a*` with the wildcard last) names this cache key. */
export function invalidationMatches(path: string, key: string): boolean {
  return path.endsWith("*") ? key.startsWith(path.slice(0, -1)) : key === path;
}

/** The counters an EdgeCache publishes into `statsBuffer`, readable from any thread. */
export function readCacheStats(statsBuffer: SharedArrayBuffer): CacheStats {
  const counters = new BigInt64Array(statsBuffer);
  const [entries, bytes, hits, misses] = [0, 1, 2, 3].map((i) => Number(Atomics.load(counters, i)));
  return { entries: entries ?? 0, bytes: bytes ?? 0, hits: hits ?? 0, misses: misses ?? 0 };
}
