import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Transform } from "node:stream";
import { type Api, ApiError, type PartUrl } from "./api";
import { readText, send, xmlErrorCode } from "./http";
import { PermanentError, type RetryOptions, statusError, TransientError, withRetry } from "./retry";

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

interface UploadState {
  readonly apiUrl: string;
  readonly key: string;
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
  readonly uploadId: string;
  readonly partSize: number;
}

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "signed-file-store", "uploads");
}

/** Hashes a byte range of a file as it streams, so memory stays flat whatever the size. */
async function hashRange(
  file: string,
  start: number,
  end: number,
  algorithm: "sha256" | "md5",
  onBytes?: (n: number) => void,
): Promise<string> {
  const hash = createHash(algorithm);
  if (end < start) return hash.digest("hex");
  for await (const chunk of createReadStream(file, {
    start,
    end,
    highWaterMark: 1024 * 1024,
  }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    onBytes?.(chunk.length);
  }
  return hash.digest("hex");
}

/** S3's ETag of a part or a single-PUT object is its MD5 (SSE-S3); other forms cannot be checked. */
function etagMatches(etag: string | undefined, md5: string): boolean {
  const bare = (etag ?? "").replace(/"/g, "");
  return !/^[0-9a-f]{32}$/.test(bare) || bare === md5;
}

/** Sends one byte range to a presigned URL, checking the ETag S3 returns against the bytes' MD5. */
async function putRange(
  target: { url: string; headers: Readonly<Record<string, string>> },
  file: string,
  start: number,
  length: number,
  onBytes: (n: number) => void,
): Promise<string> {
  const md5 = createHash("md5");
  let sent = 0;
  const tap = () =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        sent += chunk.length;
        onBytes(chunk.length);
        callback(null, chunk);
      },
    });
  try {
    const res = await send({
      method: "PUT",
      url: target.url,
      headers: { ...target.headers, "content-length": String(length) },
      // createReadStream refuses an end before its start, so an empty file sends an empty buffer.
      body:
        length === 0
          ? Buffer.alloc(0)
          : () =>
              createReadStream(file, { start, end: start + length - 1, highWaterMark: 1024 * 1024 }).pipe(
                tap(),
              ),
    });
    if (res.status < 300) res.body.resume();
    else {
      const text = await readText(res);
      const code = xmlErrorCode(text);
      // An expired URL is not the bytes' fault: a fresh one may succeed.
      if (res.status === 403 && /expired/i.test(text)) throw new TransientError(`403 ${code}: URL expired`);
      throw statusError(res.status, `${code} from storage`, code);
    }
    const digest = md5.digest("hex");
    if (!etagMatches(res.headers.etag, digest)) {
      throw new TransientError(
        `storage stored other bytes than were sent (ETag ${res.headers.etag}, MD5 ${digest})`,
      );
    }
    return String(res.headers.etag ?? `"${digest}"`);
  } catch (error) {
    onBytes(-sent);
    throw error;
  }
}

function uploadHeaders(options: UploadOptions, size: number, sha256: string): Record<string, string> {
  return {
    "upload-length": String(size),
    "x-amz-meta-sha256": sha256,
    ...(options.contentType ? { "content-type": options.contentType } : {}),
    ...(options.contentDisposition ? { "content-disposition": options.contentDisposition } : {}),
  };
}

/** The bytes of part `partNumber` (from 1) when a `size`-byte file is cut into `partSize` parts. */
function partRange(partNumber: number, partSize: number, size: number): { start: number; length: number } {
  const start = (partNumber - 1) * partSize;
  return { start, length: Math.min(partSize, size - start) };
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

async function uploadParts(
  api: Api,
  file: string,
  key: string,
  size: number,
  mtimeMs: number,
  options: UploadOptions,
  report: Report,
): Promise<UploadResult> {
  const absolute = path.resolve(file);
  const stateFile = path.join(
    options.stateDir,
    `${createHash("sha256").update(`${api.baseUrl}\n${key}\n${absolute}`).digest("hex").slice(0, 32)}.json`,
  );
  let state = await readState(stateFile);
  if (state && (state.size !== size || state.mtimeMs !== mtimeMs)) {
    // The file changed since: its parts in the store are not this file's.
    await api.abort(key, state.uploadId).catch(() => undefined);
    state = undefined;
  }
  let uploaded = new Map<number, string>();
  if (state) {
    try {
      const listed = await api.listParts(key, state.uploadId);
      uploaded = await verifiedParts(file, size, state.partSize, listed);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "NoSuchUpload")) throw error;
      state = undefined;
    }
  }
  if (!state) {
    const sha256 = await hashRange(file, 0, size - 1, "sha256", counter(report, "checksum"));
    const created = await api.createUpload(key, uploadHeaders(options, size, sha256));
    state = {
      apiUrl: api.baseUrl,
      key,
      file: absolute,
      size,
      mtimeMs,
      sha256,
      uploadId: created.uploadId,
      partSize: options.partSize ?? created.partSize,
    };
    await fs.mkdir(options.stateDir, { recursive: true });
    await fs.writeFile(stateFile, JSON.stringify(state));
  }
  const { uploadId, partSize } = state;
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
  await fs.rm(stateFile, { force: true });
  if (completed.size !== size) {
    throw new PermanentError(`the store assembled ${completed.size} bytes from a ${size}-byte file`);
  }
  return { key, size, etag: completed.etag, sha256: state.sha256, parts: partCount, resumedParts };
}

async function readState(file: string): Promise<UploadState | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as UploadState;
  } catch {
    return undefined;
  }
}

/** Parts already in the store count only when their size and MD5 match the file's bytes now. */
async function verifiedParts(
  file: string,
  size: number,
  partSize: number,
  listed: ReadonlyArray<{ partNumber: number; etag: string; size: number }>,
): Promise<Map<number, string>> {
  const verified = new Map<number, string>();
  for (const part of listed) {
    const { start, length } = partRange(part.partNumber, partSize, size);
    if (length <= 0 || part.size !== length) continue;
    const md5 = await hashRange(file, start, start + length - 1, "md5");
    if (etagMatches(part.etag, md5)) verified.set(part.partNumber, part.etag);
  }
  return verified;
}

/**
 * Part URLs are signed in batches just ahead of use, never all up front, so a long upload never
 * meets an expired URL; a batch about to expire is signed again.
 */
class PartUrls {
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
