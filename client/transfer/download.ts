import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import type { Api } from "../api";
import { NetworkError, readText, sendTo, xmlErrorCode } from "../http";
import { PermanentError, type RetryOptions, statusError, withRetry } from "../retry";

export interface DownloadOptions {
  readonly retry: RetryOptions;
  readonly onProgress?: (bytes: number, total: number) => void;
  /** An earlier version rather than the current one. */
  readonly versionId?: string;
}

export interface DownloadResult {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** Whether the store recorded a SHA-256 at upload and it matched. */
  readonly verified: boolean;
}

export class ChecksumMismatch extends PermanentError {}

/**
 * Streams `key` into `dest` through a `.partial` file, hashing as it goes. A dropped connection is
 * resumed with a Range request from the last byte written; a SHA-256 recorded at upload
 * (x-amz-meta-sha256) must match, or nothing is left at `dest`.
 */
export async function downloadFile(
  api: Api,
  key: string,
  dest: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const partial = `${dest}.partial`;
  const hash = createHash("sha256");
  let written = 0;
  let total = -1;
  let expected: string | undefined;
  let etag: string | undefined;
  await fs.rm(partial, { force: true });
  try {
    await withRetry(async () => {
      const instruction = await api.instruct("GET", key, {}, options.versionId);
      const res = await sendTo("the CDN", {
        method: "GET",
        url: instruction.url,
        headers: written > 0 ? { range: `bytes=${written}-`, ...(etag ? { "if-range": etag } : {}) } : {},
      });
      if (res.status !== 200 && res.status !== 206) {
        const code = xmlErrorCode(await readText(res));
        throw statusError(res.status, `${code} from the CDN`, code);
      }
      if (res.status === 200 && written > 0) {
        // The object changed, or the server ignored the range: the bytes so far cannot be continued.
        hash.destroy();
        throw new PermanentError("the object changed during the download; run it again");
      }
      if (written === 0) {
        total = Number(res.headers["content-length"] ?? -1);
        expected = res.headers["x-amz-meta-sha256"] as string | undefined;
        etag = res.headers.etag;
      }
      // Each chunk is hashed and counted only once it is written, so after a dropped connection the
      // file, the hash and the Range of the next attempt all agree on where the bytes stop.
      const out = await fs.open(partial, written > 0 ? "a" : "w");
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          await out.write(chunk);
          hash.update(chunk);
          written += chunk.length;
          options.onProgress?.(written, total);
        }
      } catch (error) {
        throw new NetworkError(`download interrupted after ${written} bytes: ${String(error)}`);
      } finally {
        await out.close();
      }
    }, options.retry);
    const sha256 = hash.digest("hex");
    if (expected !== undefined && expected !== sha256) {
      throw new ChecksumMismatch(`downloaded bytes have SHA-256 ${sha256}, the upload recorded ${expected}`);
    }
    await fs.rename(partial, dest);
    return { key, size: written, sha256, verified: expected !== undefined };
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw error;
  }
}

/** Deletes `key`. */
export async function removeObject(api: Api, key: string, retry: RetryOptions): Promise<void> {
  await withRetry(async () => {
    const instruction = await api.instruct("DELETE", key);
    const res = await sendTo("storage", {
      method: "DELETE",
      url: instruction.url,
      headers: { ...instruction.headers },
    });
    const code = xmlErrorCode(await readText(res));
    if (res.status >= 300) throw statusError(res.status, `${code} from storage`, code);
  }, retry);
}
