import { open, stat } from "node:fs/promises";
import { CHECKSUM_HEADERS } from "../../functions/api/checksums";
import type { Api } from "../api";
import { withRetry } from "../retry";
import { checksumRange, type PutBody, putBody, readRange } from "./file-ranges";
import { uploadParts } from "./multipart";
import {
  counter,
  fullObject,
  type Report,
  type UploadOptions,
  type UploadResult,
  uploadHeaders,
} from "./upload-options";

export type { Progress, UploadOptions, UploadResult } from "./upload-options";
export { defaultStateDir } from "./upload-options";

/** A single PUT holds the file in memory up to this size (read once); above it, it is read twice. */
const BUFFERED_PUT_BYTES = 64 * 1024 * 1024;

/**
 * Uploads a file to `key`: one presigned PUT when small, parallel parts when large, resumable. Every
 * request that carries bytes binds their CRC64NVME, so storage refuses any byte that differs.
 */
export async function uploadFile(
  api: Api,
  file: string,
  key: string,
  options: UploadOptions,
): Promise<UploadResult> {
  const found = await stat(file);
  const report: Report = (phase, bytes) => options.onProgress?.({ phase, bytes, total: found.size });
  if (found.size < options.multipartThreshold) return single(api, file, key, found.size, options, report);
  return uploadParts(api, file, key, found.size, found.mtimeMs, options, report);
}

/**
 * The checksum must be known before the URL is signed, so a single PUT reads its file first: into
 * memory when it is small (the bytes sent are the bytes summed), in a pass of its own otherwise.
 */
async function single(
  api: Api,
  file: string,
  key: string,
  size: number,
  options: UploadOptions,
  report: Report,
): Promise<UploadResult> {
  let body: PutBody;
  let crc: bigint;
  if (size <= BUFFERED_PUT_BYTES) {
    const handle = await open(file, "r");
    try {
      ({ bytes: body, crc } = await readRange(handle, file, 0, size));
    } finally {
      await handle.close();
    }
  } else {
    ({ crc } = await checksumRange(file, 0, size, { onBytes: counter(report, "checksum") }));
    body = { file, start: 0, length: size };
  }
  const checksum = fullObject(crc);
  const sent = counter(report, "upload");
  const etag = await withRetry(async () => {
    const instruction = await api.instruct("PUT", key, {
      ...uploadHeaders(options, size),
      [CHECKSUM_HEADERS.CRC64NVME]: checksum.value,
      ...(options.createOnly ? { "if-none-match": "*" } : {}),
    });
    // The length is the body's own; every other header listed is signed and sent as given.
    const headers = Object.fromEntries(
      Object.entries(instruction.headers).filter(([name]) => name.toLowerCase() !== "content-length"),
    );
    return putBody({ url: instruction.url, headers }, body, sent);
  }, options.retry);
  return { key, size, etag, checksum, parts: 1, resumedParts: 0 };
}
