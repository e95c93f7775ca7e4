import { compareKeys } from "./versions";

/**
 * The keys of a bucket in S3's listing order (by UTF-8 bytes), kept sorted as keys come and go so
 * that a listing page starts by binary search rather than by sorting every key again.
 */
export class SortedKeys {
  private keys: string[];

  constructor(keys: Iterable<string> = []) {
    this.keys = [...keys].sort(compareKeys);
  }

  private position(key: string): number {
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
    const at = this.position(key);
    if (this.keys[at] !== key) this.keys.splice(at, 0, key);
  }

  delete(key: string): void {
    const at = this.position(key);
    if (this.keys[at] === key) this.keys.splice(at, 1);
  }

  /** Keys in order, starting at the first key above `after` ("" for all). */
  *after(after: string): Generator<string> {
    const keys = this.keys;
    let at = after === "" ? 0 : this.position(after);
    if (keys[at] === after) at += 1;
    for (; at < keys.length; at += 1) {
      const key = keys[at];
      if (key !== undefined) yield key;
    }
  }
}
