import * as path from "node:path";
import { combineCrc64, crc64ToBase64 } from "../../functions/api/checksums";
import { type Api, ApiError } from "../api";
import { PermanentError } from "../retry";
import { partRange, verifiedParts } from "./file-ranges";
import { type StoredPart, sendParts } from "./part-pipeline";
import {
  counter,
  fullObject,
  type Report,
  type UploadOptions,
  type UploadResult,
  uploadHeaders,
} from "./upload-options";
import {
  partSizeProblem,
  readState,
  removeState,
  staleReason,
  stateFileFor,
  type UploadState,
  writeState,
} from "./upload-state";

const MIB = 1024 * 1024;
/** Parts of a large file grow up to this size, so that it is sent in about LARGE_FILE_PARTS parts. */
const LARGE_PART_BYTES = 16 * MIB;
const LARGE_FILE_PARTS = 64;

/**
 * The part size for a new upload: the caller's, else the API's offer, raised for a large file so it
 * goes in about 64 parts of at most 16 MiB. Each part costs a request and, at storage, a durable
 * write of its own; fewer, larger parts keep the upload streaming (1 GiB: 8 MiB parts 7.6 s, 16 MiB
 * 7.1 s in one run against the local stack), while the parts held in memory (concurrency and a
 * batch: 9 of 16 MiB by default) stay under 150 MiB. Never lowered: the deployment's offer stands
 * as a floor.
 */
export function choosePartSize(offered: number, size: number, asked?: number): number {
  if (asked !== undefined) return asked;
  const large = Math.min(LARGE_PART_BYTES, Math.ceil(size / LARGE_FILE_PARTS / MIB) * MIB);
  return Math.max(offered, large);
}

/** API refusals after which a multipart upload can never complete, however often it is resumed. */
const DOOMED = new Set([
  "NoSuchUpload",
  "EntityTooSmall",
  "InvalidPart",
  "InvalidPartOrder",
  "InvalidPartNumber",
  "InvalidPartRange",
  "InvalidUploadId",
]);
const isDoomed = (error: unknown): error is ApiError =>
  error instanceof ApiError && DOOMED.has(error.code ?? "");

/** A create-only completion refused because the key was written after the upload began. */
const isOverwritten = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.code === "PreconditionFailed";

async function refuseExisting(api: Api, key: string): Promise<void> {
  const found = await api.stat(key).then(
    () => true,
    (error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return false;
      throw error;
    },
  );
  if (found) {
    throw new ApiError(412, "PreconditionFailed", `${key} already holds an object; nothing was sent`);
  }
}

/**
 * A file in parts: created with CRC64NVME as its algorithm (storage checks every part, and the
 * whole object at completion), remembered in a state file so that running the same upload again
 * resumes it, and forgotten once it completes or can never complete.
 */
export async function uploadParts(
  api: Api,
  file: string,
  key: string,
  size: number,
  mtimeMs: number,
  options: UploadOptions,
  report: Report,
): Promise<UploadResult> {
  if (options.partSize !== undefined) {
    const problem = partSizeProblem(options.partSize, size);
    if (problem) {
      throw new PermanentError(
        `cannot upload ${size} bytes in parts: ${problem}`,
        undefined,
        "InvalidPartSize",
      );
    }
  }
  // S3 checks If-None-Match only when the upload completes, after every part has been sent; asking
  // first spares sending a large file for nothing. The check at completion still settles a race.
  if (options.createOnly) await refuseExisting(api, key);
  const absolute = path.resolve(file);
  const stateFile = stateFileFor(options.stateDir, api.baseUrl, key, absolute);
  const notice = (message: string) => options.onNotice?.(message);
  const discard = async (state: UploadState, abort: boolean) => {
    if (abort) await api.abort(key, state.uploadId).catch(() => undefined);
    await removeState(stateFile);
  };
  const run = async (state: UploadState, stored: Map<number, StoredPart>) => {
    try {
      return await complete(api, file, state, stored, options, report, stateFile);
    } catch (error) {
      if (isOverwritten(error)) {
        await discard(state, true);
        notice(`discarded the upload of ${key}: the key was written meanwhile and --if-absent was given`);
      }
      throw error;
    }
  };

  const saved = await readState(stateFile);
  if (saved && "unreadable" in saved) {
    notice(`the saved state of this upload (${stateFile}) is unreadable; starting afresh`);
    await removeState(stateFile);
  } else if (saved) {
    const { state } = saved;
    const reason = staleReason(state, {
      size,
      mtimeMs,
      ...(options.partSize ? { partSize: options.partSize } : {}),
    });
    if (reason) {
      await discard(state, true);
      notice(`discarded the saved upload of ${key} (${reason}); starting afresh`);
    } else {
      try {
        const listed = await api.listParts(state.key, state.uploadId);
        return await run(state, await verifiedParts(file, state.size, state.partSize, listed));
      } catch (error) {
        // Resuming again would fail the same way for ever: a fresh upload replaces the saved one.
        if (!isDoomed(error)) throw error;
        await discard(state, error.code !== "NoSuchUpload");
        notice(
          `discarded the saved upload of ${key}, which cannot complete (${error.message}); starting afresh`,
        );
      }
    }
  }
  const created = await api.createUpload(key, uploadHeaders(options, size));
  const state: UploadState = {
    apiUrl: api.baseUrl,
    key,
    file: absolute,
    size,
    mtimeMs,
    checksumAlgorithm: "CRC64NVME",
    uploadId: created.uploadId,
    partSize: choosePartSize(created.partSize, size, options.partSize),
  };
  await writeState(stateFile, state);
  try {
    return await run(state, new Map());
  } catch (error) {
    if (isDoomed(error)) {
      await discard(state, error.code !== "NoSuchUpload");
      notice(
        `discarded the upload of ${key}, which cannot complete; running the same command again starts afresh`,
      );
    }
    throw error;
  }
}

/** The whole object's CRC64NVME from its parts' CRCs, as storage builds a FULL_OBJECT checksum. */
export function combinedCrc(parts: ReadonlyArray<{ readonly crc: bigint; readonly length: number }>): bigint {
  const [first, ...rest] = parts;
  let crc = first?.crc ?? 0n;
  for (const part of rest) crc = combineCrc64(crc, part.crc, part.length);
  return crc;
}

/** Sends the parts not yet stored, completes the upload with every part's checksum, forgets its state. */
async function complete(
  api: Api,
  file: string,
  state: UploadState,
  stored: Map<number, StoredPart>,
  options: UploadOptions,
  report: Report,
  stateFile: string,
): Promise<UploadResult> {
  const { key, size, uploadId, partSize } = state;
  const partCount = Math.max(1, Math.ceil(size / partSize));
  const lengthOf = (n: number) => partRange(n, partSize, size).length;
  const resumedParts = stored.size;
  const already = [...stored.keys()].reduce((sum, n) => sum + lengthOf(n), 0);
  const todo = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !stored.has(n));
  await sendParts(api, { key, uploadId }, file, { size, partSize }, todo, stored, {
    concurrency: options.concurrency,
    retry: options.retry,
    onBytes: counter(report, "upload", already),
  });
  const parts = [...stored.entries()].sort(([a], [b]) => a - b);
  const checksum = fullObject(
    combinedCrc(parts.map(([n, part]) => ({ crc: part.crc, length: lengthOf(n) }))),
  );
  const completed = await api.complete(
    key,
    uploadId,
    parts.map(([partNumber, part]) => ({ partNumber, etag: part.etag, checksum: crc64ToBase64(part.crc) })),
    checksum.value,
    options.createOnly ?? false,
  );
  await removeState(stateFile);
  if (completed.size !== size) {
    throw new PermanentError(`the store assembled ${completed.size} bytes from a ${size}-byte file`);
  }
  return {
    key,
    size,
    etag: completed.etag,
    checksum,
    ...(completed.versionId === undefined ? {} : { versionId: completed.versionId }),
    parts: partCount,
    resumedParts,
  };
}
