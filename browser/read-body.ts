import { explainedFetch, SignedFileStoreError } from "./api";

export interface ResumableRead {
  readonly key: string;
  /** The signed URL and until when it works. */
  readonly url: string;
  readonly expiresAt: string;
  readonly signal?: AbortSignal;
  /** A fresh URL of the same version, for a resume after the first has (nearly) expired. */
  readonly resign: () => Promise<{ url: string; expiresAt: string }>;
}

/** A dropped connection is resumed this many times before the read fails. */
const RESUMES = 3;
/** A URL this close to its expiry is asked for again before a resume uses it. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * The object's bytes as a stream that survives a dropped connection: the rest is asked for with a
 * Range request from the last byte received and If-Range on the first answer's ETag, of the same
 * version (the CDN's CORS admits both headers and exposes ETag). A 200 to that, instead of 206,
 * means the bytes so far cannot be continued. The first request is made before this resolves, so
 * a refusal (a 403, a 404) is the caller's error, not the stream's.
 */
export async function openResumable(read: ResumableRead): Promise<ReadableStream<Uint8Array>> {
  const fetcher = globalThis.fetch.bind(globalThis);
  const { key, signal } = read;
  let { url, expiresAt } = read;
  let received = 0;
  let resumes = 0;
  let etag: string | undefined;

  const request = async (): Promise<ReadableStreamDefaultReader<Uint8Array>> => {
    if (received > 0 && Date.parse(expiresAt) - Date.now() < EXPIRY_MARGIN_MS)
      ({ url, expiresAt } = await read.resign());
    const headers: Record<string, string> =
      received > 0 ? { range: `bytes=${received}-`, ...(etag ? { "if-range": etag } : {}) } : {};
    const res = await explainedFetch(fetcher, "the CDN", url, { headers, ...(signal ? { signal } : {}) });
    if (received > 0 && res.status === 200) {
      throw new SignedFileStoreError(
        200,
        "ObjectChanged",
        `${key} changed during the download; read it again`,
      );
    }
    if (!res.ok)
      throw new SignedFileStoreError(res.status, `Http${res.status}`, `the CDN answered ${res.status}`);
    if (received === 0) etag = res.headers.get("etag") ?? undefined;
    // Old browsers without response streams get the whole body at once.
    return (res.body ?? new Blob([await res.arrayBuffer()]).stream()).getReader();
  };

  let reader = await request();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          // A connection dropped mid-body rejects the read with a TypeError; anything else, and an
          // abort, is the read's end.
          if (!(error instanceof TypeError) || signal?.aborted || ++resumes > RESUMES) throw error;
          reader = await request();
          continue;
        }
        if (next.done) return controller.close();
        received += next.value.length;
        return controller.enqueue(next.value);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
