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

/**
 * The edge's object cache, bounded in bytes: when a new object does not fit, the least recently
 * used ones go first, as an edge location evicts objects before they expire to make room for those
 * requested more recently (CloudFront Developer Guide, "Manage how long content stays in the
 * cache"). A Map keeps insertion order, so re-inserting on every hit keeps the least recently used
 * entry first.
 */
export class EdgeCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;
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
      this.misses += 1;
      this.publish();
      return undefined;
    }
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    this.hits += 1;
    this.publish();
    return entry;
  }

  /** Whether an object of this size can be cached at all. */
  fits(size: number): boolean {
    return size <= this.maxBytes;
  }

  store(key: string, entry: CacheEntry): void {
    if (!this.fits(entry.body.length)) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    for (const [oldKey, old] of this.entries) {
      if (this.bytes + entry.body.length <= this.maxBytes) break;
      this.remove(oldKey, old);
    }
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    this.publish();
  }

  stats(): CacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
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

/** The counters an EdgeCache publishes into `statsBuffer`, readable from any thread. */
export function readCacheStats(statsBuffer: SharedArrayBuffer): CacheStats {
  const counters = new BigInt64Array(statsBuffer);
  const [entries, bytes, hits, misses] = [0, 1, 2, 3].map((i) => Number(Atomics.load(counters, i)));
  return { entries: entries ?? 0, bytes: bytes ?? 0, hits: hits ?? 0, misses: misses ?? 0 };
}
