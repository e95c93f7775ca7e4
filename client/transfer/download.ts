import { promises as fs } from "node:fs";
import type { ObjectChecksum } from "../../functions/api/checksums";
import type { Api } from "../api";
import { NetworkError, readText, sendTo, xmlErrorCode } from "../http";
import { PermanentError, type RetryOptions, statusError, withRetry } from "../retry";
import { DownloadCheck } from "./verify";

export { ChecksumMismatch } from "./verify";

export interface DownloadOptions {
  readonly retry: RetryOptions;
  readonly onProgress?: (bytes: number, total: number) => void;
  /** An earlier version rather than the current one. */
  readonly versionId?: string;
}

export interface DownloadResult {
  readonly key: string;
  readonly size: number;
  readonly versionId?: string;
  /** The store's checksum of the object, as its JSON answer gave it. */
  readonly checksum?: ObjectChecksum;
  /** Whether the bytes were compared with that checksum and matched. */
  readonly verified: boolean;
  /** Why they could not be compared, when they were not. */
  readonly note?: string;
}

/**
 * Streams `key` into `dest` through a `.partial` file, checking the bytes as they arrive against the
 * checksum in the API's answer. A dropped connection is resumed with a Range request from the last
 * byte written, of the same version, and the check continues where it stopped; a mismatch leaves
 * nothing at `dest`.
 */
export async function downloadFile(
  api: Api,
  key: string,
  dest: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const partial = `${dest}.partial`;
  let written = 0;
  let total = -1;
  let check: DownloadCheck | undefined;
  let checksum: ObjectChecksum | undefined;
  let etag: string | undefined;
  // Later attempts read the version the first one found, so a write in between cannot mix two objects.
  let versionId = options.versionId;
  await fs.rm(partial, { force: true });
  try {
    await withRetry(async () => {
      const instruction = await api.instruct("GET", key, {}, versionId);
      if (!check) {
        checksum = instruction.object?.checksum;
        check = new DownloadCheck(key, checksum);
        versionId ??= instruction.object?.versionId;
      }
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
        throw new PermanentError("the object changed during the download; run it again");
      }
      if (written === 0) {
        total = Number(res.headers["content-length"] ?? -1);
        etag = res.headers.etag;
      }
      // Each chunk is checked and counted only once it is written, so after a dropped connection the
      // file, the check and the Range of the next attempt all agree on where the bytes stop.
      const out = await fs.open(partial, written > 0 ? "a" : "w");
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          await out.write(chunk);
          check.update(chunk);
          written += chunk.length;
          options.onProgress?.(written, total);
        }
      } catch (error) {
        throw new NetworkError(`download interrupted after ${written} bytes: ${String(error)}`);
      } finally {
        await out.close();
      }
    }, options.retry);
    const verdict = (check as DownloadCheck).finish();
    await fs.rename(partial, dest);
    return {
      key,
      size: written,
      ...(versionId === undefined ? {} : { versionId }),
      ...(checksum ? { checksum } : {}),
      ...verdict,
    };
  } catch (error) {
    await fs.rm(partial, { force: true });
    throw error;
  }
}

/** Deletes `key` (a delete marker on a versioned bucket). */
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
