import type { Api, PartUrl } from "../api";

/** A URL this close to its expiry is signed again rather than used. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Part URLs, each binding its part's CRC64NVME. A batch is signed in one API request once its parts
 * have been read (their checksums known), just before they are sent, never all up front, so a long
 * upload never meets an expired URL; a URL about to expire, or one a retry asks for, is signed
 * again on its own.
 */
export class PartUrls {
  private readonly cache = new Map<number, { target: PartUrl; expiresAt: number }>();
  /** API requests made for part URLs, batches and single parts alike. */
  requests = 0;

  constructor(
    private readonly api: Api,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Signs parts `first` to `first + checksums.length - 1` in one request. */
  async sign(first: number, checksums: readonly string[]): Promise<void> {
    const last = first + checksums.length - 1;
    this.requests++;
    const signed = await this.api.signParts(this.key, this.uploadId, first, last, checksums);
    const expiresAt = Date.parse(signed.expiresAt);
    for (const target of signed.parts) this.cache.set(target.partNumber, { target, expiresAt });
    for (let n = first; n <= last; n++) {
      if (!this.cache.has(n)) throw new Error(`the API signed no URL for part ${n}`);
    }
  }

  /** The URL for a part: the batch's, unless `fresh` is asked or it is about to expire. */
  async get(partNumber: number, checksum: string, fresh: boolean): Promise<PartUrl> {
    const cached = this.cache.get(partNumber);
    if (fresh || !cached || cached.expiresAt - this.now() < EXPIRY_MARGIN_MS) {
      this.cache.delete(partNumber);
      await this.sign(partNumber, [checksum]);
    }
    const entry = this.cache.get(partNumber);
    if (!entry) throw new Error(`the API signed no URL for part ${partNumber}`);
    return entry.target;
  }

  /** A sent part's URL is not needed again. */
  forget(partNumber: number): void {
    this.cache.delete(partNumber);
  }
}
