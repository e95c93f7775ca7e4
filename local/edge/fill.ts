import type { IncomingMessage, ServerResponse } from "node:http";

/** The most one write to a viewer hands to its socket at once (a view of the fill, not a copy). */
const SLICE_BYTES = 256 * 1024;

/**
 * An object on its way from the origin into the cache, served to every viewer that asks for it
 * meanwhile, as CloudFront answers simultaneous requests for one object with a single origin
 * request (CloudFront Developer Guide, "Request and response behavior for Amazon S3 origins",
 * "Simultaneous requests for the same object (request collapsing)").
 *
 * The bytes land once, in the buffer that becomes the cache entry; the cache reserved its size
 * before the read began, so a fill counts against the cache's bound. Each viewer is written from
 * that buffer at its own pace and waits for its socket to drain before the next slice, so a slow
 * viewer holds no copy of its own and never slows the origin read or the other viewers.
 */
export class Fill {
  readonly body: Buffer;
  private filled = 0;
  private state: "filling" | "done" | "failed" = "filling";
  private waiting: Array<() => void> = [];

  constructor(
    readonly headers: Readonly<Record<string, string>>,
    readonly size: number,
  ) {
    this.body = Buffer.allocUnsafeSlow(size);
  }

  /** Reads the origin's body into the fill; true when all `size` bytes arrived. */
  async read(origin: IncomingMessage): Promise<boolean> {
    try {
      for await (const chunk of origin as AsyncIterable<Buffer>) {
        if (this.filled + chunk.length > this.size) throw new Error("the origin sent more than its length");
        chunk.copy(this.body, this.filled);
        this.filled += chunk.length;
        this.wake();
      }
      this.state = this.filled === this.size ? "done" : "failed";
    } catch {
      this.state = "failed";
      origin.destroy();
    }
    this.wake();
    return this.state === "done";
  }

  /**
   * Writes bytes `start` to `end` (inclusive) to the viewer as they arrive. A viewer that goes away
   * stops being written to; an origin read that breaks off ends the viewer's connection early, as a
   * truncated transfer does at CloudFront.
   */
  async pipeTo(res: ServerResponse, start: number, end: number): Promise<void> {
    let at = start;
    while (at <= end) {
      while (this.filled <= at && this.state === "filling") await this.arrival();
      if (this.filled <= at || res.destroyed) {
        res.destroy();
        return;
      }
      const upto = Math.min(this.filled, end + 1, at + SLICE_BYTES);
      const more = res.write(this.body.subarray(at, upto));
      at = upto;
      if (!more && !(await drained(res))) return;
    }
    res.end();
  }

  private arrival(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** True once the viewer's socket has taken what it was given, false if the viewer went away. */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}
