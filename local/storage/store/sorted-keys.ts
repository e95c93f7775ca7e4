import { compareKeys } from "./versions";

/**
 * The keys of a bucket in S3's listing order (by UTF-8 bytes), kept sorted as keys come and go so
 * that a listing page starts by binary search, and skips every key under a common prefix by
 * another, rather than walking the keys before it.
 */
export class SortedKeys {
  private keys: string[];

  constructor(keys: Iterable<string> = []) {
    this.keys = [...keys].sort(compareKeys);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The first position whose key is not below `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid] ?? "", key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(key: string): void {
    const at = this.lowerBound(key);
    if (this.keys[at] !== key) this.keys.splice(at, 0, key);
  }

  delete(key: string): void {
    const at = this.lowerBound(key);
    if (this.keys[at] === key) this.keys.splice(at, 1);
  }

  /** The first position whose key is above `key`. */
  positionAfter(key: string): number {
    const at = this.lowerBound(key);
    return this.keys[at] === key ? at + 1 : at;
  }

  /** The first position whose key is not below `key`. */
  positionOf(key: string): number {
    return this.lowerBound(key);
  }

  /**
   * The first position after every key that starts with `prefix` (and at or after `from`): keys
   * with a prefix are contiguous in this order, so a binary search finds the end of the run.
   */
  positionPast(prefix: string, from = 0): number {
    let lo = from;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.keys[mid] ?? "";
      if (key.startsWith(prefix) || compareKeys(key, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  at(position: number): string | undefined {
    return this.keys[position];
  }

  /** Keys in order, starting at the first key above `after` ("" for all). */
  *after(after: string): Generator<string> {
    for (let at = after === "" ? 0 : this.positionAfter(after); at < this.keys.length; at += 1) {
      const key = this.keys[at];
      if (key !== undefined) yield key;
    }
  }
}
