import type { Api, PartUrl } from "../api";

/**
 * Part URLs are signed in batches just ahead of use, never all up front, so a long upload never
 * meets an expired URL; a batch about to expire is signed again.
 */
export class PartUrls {
  private readonly cache = new Map<number, { target: PartUrl; expiresAt: number }>();
  private readonly inflight = new Map<number, Promise<void>>();

  constructor(
    private readonly api: Api,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly partCount: number,
    private readonly batch: number,
  ) {}

  async get(partNumber: number, fresh: boolean): Promise<PartUrl> {
    const cached = this.cache.get(partNumber);
    if (!fresh && cached && cached.expiresAt - Date.now() > 30_000) return cached.target;
    const first = partNumber;
    const last = Math.min(this.partCount, first + this.batch - 1);
    let loading = fresh ? undefined : this.inflight.get(first);
    if (!loading) {
      loading = this.api.signParts(this.key, this.uploadId, first, last).then((signed) => {
        const expiresAt = Date.parse(signed.expiresAt);
        for (const target of signed.parts) this.cache.set(target.partNumber, { target, expiresAt });
      });
      for (let n = first; n <= last; n++) if (!this.cache.has(n) || fresh) this.inflight.set(n, loading);
    }
    try {
      await loading;
    } finally {
      // Also after a failure, so that the next request for these parts signs them again.
      for (let n = first; n <= last; n++) if (this.inflight.get(n) === loading) this.inflight.delete(n);
    }
    const entry = this.cache.get(partNumber);
    if (!entry) throw new Error(`the API signed no URL for part ${partNumber}`);
    return entry.target;
  }
}
