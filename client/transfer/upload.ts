import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Api, ApiError } from "../api";
import { PermanentError, type RetryOptions, withRetry } from "../retry";
import { hashRange, partRange, putRange, verifiedParts } from "./file-ranges";
import { PartUrls } from "./part-urls";
import {
  partSizeProblem,
  readState,
  removeState,
  staleReason,
  stateFileFor,
  type UploadState,
  writeState,
} from "./upload-state";

export interface UploadOptions {
  readonly contentType?: string;
  readonly contentDisposition?: string;
  /** Refuse to replace an existing object (If-None-Match: *): the store answers 412. */
  readonly createOnly?: boolean;
  /** Files at least this large go in parts. */
  readonly multipartThreshold: number;
  /** Overrides the part size the API offers. */
  readonly partSize?: number;
  readonly concurrency: number;
  /** Where interrupted uploads are remembered, so that running the same upload again resumes it. */
  readonly stateDir: string;
  readonly retry: RetryOptions;
  readonly onProgress?: (progress: Progress) => void;
  /** Told when a saved upload is discarded (changed file, a part size S3 refuses, an upload gone). */
  readonly onNotice?: (message: string) => void;
}

export interface Progress {
  readonly phase: "checksum" | "upload" | "download";
  readonly bytes: number;
  readonly total: number;
}

export interface UploadResult {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly sha256: string;
  readonly parts: number;
  /** Parts already in the store from an earlier, interrupted run. */
  readonly resumedParts: number;
}

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "signed-file-store", "uploads");
}

function uploadHeaders(options: UploadOptions, size: number, sha256: string): Record<string, string> {
  return {
    "upload-length": String(size),
    "x-amz-meta-sha256": sha256,
    ...(options.contentType ? { "content-type": options.contentType } : {}),
    ...(options.contentDisposition ? { "content-disposition": options.contentDisposition } : {}),
  };
}

type Report = (phase: Progress["phase"], bytes: number) => void;

/** A callback adding byte counts (negative when a try is undone) to a phase's running total. */
function counter(report: Report, phase: Progress["phase"], start = 0): (n: number) => void {
  let bytes = start;
  report(phase, bytes);
  return (n) => {
    bytes += n;
    report(phase, bytes);
  };
}

/** Uploads a file to `key`: one presigned PUT when small, parallel parts when large, resumable. */
export async function uploadFile(
  api: Api,
  file: string,
  key: string,
  options: UploadOptions,
): Promise<UploadResult> {
  const stat = await fs.stat(file);
  const size = stat.size;
  const report: Report = (phase, bytes) => options.onProgress?.({ phase, bytes, total: size });
  if (size < options.multipartThreshold) {
    const sha256 = await hashRange(file, 0, size - 1, "sha256", counter(report, "checksum"));
    const sent = counter(report, "upload");
    const etag = await withRetry(async () => {
      const instruction = await api.instruct("PUT", key, {
        ...uploadHeaders(options, size, sha256),
        ...(options.createOnly ? { "if-none-match": "*" } : {}),
      });
      // content-length is set from the file itself.
      const { "Content-Length": _ignored, ...headers } = instruction.headers;
      return putRange({ url: instruction.url, headers }, file, 0, size, sent);
    }, options.retry);
    return { key, size, etag, sha256, parts: 1, resumedParts: 0 };
  }
  return uploadParts(api, file, key, size, stat.mtimeMs, options, report);
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

async function uploadParts(
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
    if (problem)
      throw new PermanentError(
        `cannot upload ${size} bytes in parts: ${problem}`,
        undefined,
        "InvalidPartSize",
      );
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
        return await sendParts(
          api,
          file,
          state,
          await listedParts(api, file, state),
          options,
          report,
          stateFile,
        );
      } catch (error) {
        if (isOverwritten(error)) {
          await discard(state, true);
          notice(`discarded the upload of ${key}: the key was written meanwhile and --if-absent was given`);
        }
        // Resuming again would fail the same way for ever: a fresh upload replaces the saved one.
        if (!isDoomed(error)) throw error;
        await discard(state, error.code !== "NoSuchUpload");
        notice(
          `discarded the saved upload of ${key}, which cannot complete (${error.message}); starting afresh`,
        );
      }
    }
  }
  const sha256 = await hashRange(file, 0, size - 1, "sha256", counter(report, "checksum"));
  const created = await api.createUpload(key, uploadHeaders(options, size, sha256));
  const state: UploadState = {
    apiUrl: api.baseUrl,
    key,
    file: absolute,
    size,
    mtimeMs,
    sha256,
    uploadId: created.uploadId,
    partSize: options.partSize ?? created.partSize,
  };
  await writeState(stateFile, state);
  try {
    return await sendParts(api, file, state, new Map(), options, report, stateFile);
  } catch (error) {
    if (isOverwritten(error)) {
      await discard(state, true);
      notice(`discarded the upload of ${key}: the key was written meanwhile and --if-absent was given`);
    }
    if (isDoomed(error)) {
      await discard(state, error.code !== "NoSuchUpload");
      notice(
        `discarded the upload of ${key}, which cannot complete; running the same command again starts afresh`,
      );
    }
    throw error;
  }
}

/** The parts of a saved upload already in the store and still matching the file. */
async function listedParts(api: Api, file: string, state: UploadState): Promise<Map<number, string>> {
  return verifiedParts(file, state.size, state.partSize, await api.listParts(state.key, state.uploadId));
}

/** Uploads the parts not yet stored, in parallel, then completes the upload and forgets its state. */
async function sendParts(
  api: Api,
  file: string,
  state: UploadState,
  uploaded: Map<number, string>,
  options: UploadOptions,
  report: Report,
  stateFile: string,
): Promise<UploadResult> {
  const { key, size, uploadId, partSize } = state;
  const partCount = Math.max(1, Math.ceil(size / partSize));
  const rangeOf = (n: number) => partRange(n, partSize, size);
  const resumedParts = uploaded.size;
  const sent = counter(
    report,
    "upload",
    [...uploaded.keys()].reduce((sum, n) => sum + rangeOf(n).length, 0),
  );

  const pending = Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !uploaded.has(n));
  const urls = new PartUrls(api, key, uploadId, partCount, Math.max(8, options.concurrency * 2));
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const partNumber = pending[next++] as number;
      const { start, length } = rangeOf(partNumber);
      const etag = await withRetry(async (attempt) => {
        const target = await urls.get(partNumber, attempt > 1);
        return putRange(target, file, start, length, sent);
      }, options.retry);
      uploaded.set(partNumber, etag);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, pending.length) }, worker));
  const parts = [...uploaded.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partNumber, etag]) => ({ partNumber, etag }));
  const completed = await api.complete(key, uploadId, parts, options.createOnly ?? false);
  await removeState(stateFile);
  if (completed.size !== size) {
    throw new PermanentError(`the store assembled ${completed.size} bytes from a ${size}-byte file`);
  }
  return { key, size, etag: completed.etag, sha256: state.sha256, parts: partCount, resumedParts };
}
