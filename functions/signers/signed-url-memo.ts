/**
 * Signed read URLs by resource, expiry and key. ECDSA signatures are randomised, so without this
 * two reads of one version in one window would get different URLs and a browser could not reuse
 * the bytes it already downloaded; with RSA every instance signs the same URL anyway.
 *
 * Two generations of at most half the capacity each: a new entry goes into the current one, a hit
 * in the previous one is carried over, and when the current one is full it becomes the previous
 * one and the oldest half is dropped whole. Dropping entries one at a time from the front of a
 * single Map instead leaves deleted slots that V8 skips on every `keys().next()`, which made the
 * memo the costliest step of a warm GET that signs (`npm run bench`).
 */
export class SignedUrlMemo {
  private current = new Map<string, { url: string; expires: number }>();
  private previous = new Map<string, { url: string; expires: number }>();
  private readonly generation: number;

  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`capacity must be a whole number of at least 2, got ${capacity}`);
    }
    this.generation = Math.floor(capacity / 2);
  }

  /** Entries held: never more than the capacity. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  get(resource: string, expires: number, keyPairId: string, nowSeconds: number, sign: () => string): string {
    const id = `${keyPairId} ${expires} ${resource}`;
    const hit = this.current.get(id);
    if (hit && hit.expires > nowSeconds) return hit.url;
    const earlier = this.previous.get(id);
    const entry = earlier && earlier.expires > nowSeconds ? earlier : { url: sign(), expires };
    if (earlier) this.previous.delete(id);
    if (!hit && this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(id, entry);
    return entry.url;
  }
}
