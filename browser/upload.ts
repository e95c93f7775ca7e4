import { type Api, SignedFileStoreError, type TransferInstruction } from "./api";
import { sha256OfBlob } from "./sha256";
import {
  defaultStorage,
  forgetUpload,
  loadUpload,
  type SavedUpload,
  saveUpload,
  uploadStateKey,
} from "./upload-state";
import { abortError, xhrPut } from "./xhr-put";

export interface UploadOptions {
  /** Stored as the object's Content-Type; default the file's own type, else application/octet-stream. */
  readonly contentType?: string;
  /** The file name downloads are saved under (Content-Disposition); default the File's name. */
  readonly downloadName?: string;
  /** Fail with 412 PreconditionFailed if the key already holds an object (If-None-Match: *). */
  readonly createOnly?: boolean;
  /** Files at least this large go in parts; default 8 MiB. */
  readonly multipartFrom?: number;
  /** Parts in flight at once; default 4. */
  readonly parallelParts?: number;
  /** Send the file's SHA-256, stored with the object and checked on download; default true. */
  readonly checksum?: boolean;
  /** Where multipart uploads are remembered for a resume after a reload; default localStorage. */
  readonly storage?: Storage;
  readonly onProgress?: (progress: UploadProgress) => void;
}

export interface UploadProgress {
  /** The file is read once to hash it before the bytes are sent. */
  readonly phase: "hashing" | "uploading";
  readonly bytes: number;
  readonly total: number;
}

export interface UploadResult {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly sha256?: string;
  /** 0 for a single PUT. */
  readonly parts: number;
  /** Parts found already stored from an earlier page load. */
  readonly resumedParts: number;
}

const MIB = 1024 ** 2;

/** A running upload: `done` settles when it ends; `pause` keeps its parts for a later resume, `abort` drops them. */
export class Upload {
  readonly done: Promise<UploadResult>;
  private readonly controller = new AbortController();
  private uploadId: string | undefined;
  private dropParts = false;

  constructor(
    private readonly api: Api,
    private readonly file: Blob,
    private readonly key: string,
    private readonly options: UploadOptions,
  ) {
    this.done = this.run();
  }

  /** Stops sending; a multipart upload stays stored and the same file resumes it, after a reload too. */
  pause(): void {
    this.controller.abort(new DOMException("the upload was paused", "AbortError"));
  }

  /** Stops sending and deletes the parts already stored (AbortMultipartUpload). */
  async abort(): Promise<void> {
    this.dropParts = true;
    this.controller.abort(new DOMException("the upload was aborted", "AbortError"));
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<UploadResult> {
    const { file, options } = this;
    const multipartFrom = options.multipartFrom ?? 8 * MIB;
    if (file.size === 0 || file.size < multipartFrom) return this.single();
    const storage = options.storage ?? defaultStorage();
    const stateId = uploadStateKey(this.api.url(""), this.key, file);
    try {
      return await this.multipart(storage, stateId);
    } catch (error) {
      if (this.dropParts) {
        // Best effort: storage also drops incomplete uploads by lifecycle rule, and the caller asked to stop.
        if (this.uploadId) {
          await this.call("DELETE", `uploadId=${encodeURIComponent(this.uploadId)}`, false).catch(
            () => undefined,
          );
        }
        forgetUpload(storage, stateId);
      }
      throw error;
    }
  }

  private call<T>(
    method: string,
    query: string,
    withSignal = true,
    headers = {},
    body?: unknown,
  ): Promise<T> {
    return this.api.call<T>({
      method,
      path: this.key,
      query,
      headers,
      body,
      ...(withSignal ? { signal: this.controller.signal } : {}),
    });
  }

  private progress(phase: UploadProgress["phase"], bytes: number): void {
    this.options.onProgress?.({ phase, bytes, total: this.file.size });
  }

  private async checksum(): Promise<string | undefined> {
    if (this.options.checksum === false) return undefined;
    const hex = await sha256OfBlob(
      this.file,
      (bytes) => this.progress("hashing", bytes),
      this.controller.signal,
    );
    this.throwIfAborted();
    return hex;
  }

  private throwIfAborted(): void {
    if (this.controller.signal.aborted) throw abortError(this.controller.signal);
  }

  /** The headers the API signs into the upload, so storage enforces them. */
  private uploadHeaders(sha256: string | undefined): Record<string, string> {
    const { file, options } = this;
    const name = options.downloadName ?? (file as Partial<File>).name;
    return {
      "content-type": options.contentType || file.type || "application/octet-stream",
      ...(name ? { "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}` } : {}),
      "upload-length": String(file.size),
      ...(sha256 ? { "x-amz-meta-sha256": sha256 } : {}),
    };
  }

  private async single(): Promise<UploadResult> {
    const sha256 = await this.checksum();
    const headers = {
      ...this.uploadHeaders(sha256),
      ...(this.options.createOnly ? { "if-none-match": "*" } : {}),
    };
    const step = await this.call<TransferInstruction>("PUT", "", true, headers);
    const etag = await xhrPut(
      step.url,
      step.headers,
      this.file,
      (bytes) => this.progress("uploading", bytes),
      this.controller.signal,
    );
    this.progress("uploading", this.file.size);
    return {
      key: this.key,
      size: this.file.size,
      etag,
      ...(sha256 ? { sha256 } : {}),
      parts: 0,
      resumedParts: 0,
    };
  }

  /** Parts already stored by an earlier run, when the upload still exists; otherwise none and a fresh start. */
  private async storedParts(saved: SavedUpload): Promise<Map<number, string> | undefined> {
    try {
      const { parts } = await this.call<{ parts: Array<{ partNumber: number; etag: string; size: number }> }>(
        "GET",
        `uploadId=${encodeURIComponent(saved.uploadId)}`,
      );
      const done = new Map<number, string>();
      for (const part of parts) {
        // A part cut short by a crash is stored with fewer bytes; it is sent again.
        if (part.size === this.partLength(part.partNumber, saved.partSize))
          done.set(part.partNumber, part.etag);
      }
      return done;
    } catch (error) {
      if (error instanceof SignedFileStoreError && error.code === "NoSuchUpload") return undefined;
      throw error;
    }
  }

  private partLength(partNumber: number, partSize: number): number {
    return Math.max(0, Math.min(partSize, this.file.size - (partNumber - 1) * partSize));
  }

  private async multipart(storage: Storage | undefined, stateId: string): Promise<UploadResult> {
    let saved = loadUpload(storage, stateId);
    let done = saved ? await this.storedParts(saved) : undefined;
    if (!saved || !done) {
      forgetUpload(storage, stateId);
      const sha256 = await this.checksum();
      const created = await this.call<{ uploadId: string; partSize: number }>(
        "POST",
        "uploads",
        true,
        this.uploadHeaders(sha256),
      );
      saved = { uploadId: created.uploadId, partSize: created.partSize, ...(sha256 ? { sha256 } : {}) };
      saveUpload(storage, stateId, saved);
      done = new Map();
    }
    const { uploadId, partSize } = saved;
    this.uploadId = uploadId;
    const resumedParts = done.size;
    const count = Math.ceil(this.file.size / partSize);
    const sent = new Map<number, number>();
    for (const partNumber of done.keys()) sent.set(partNumber, this.partLength(partNumber, partSize));
    const report = () =>
      this.progress(
        "uploading",
        [...sent.values()].reduce((a, b) => a + b, 0),
      );
    report();
    const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !done.has(n));
    const id = encodeURIComponent(uploadId);
    const etags = done;
    let firstError: unknown;
    const worker = async () => {
      try {
        await sendParts();
      } catch (error) {
        // The first failure stops the other parts at once; it is the one the caller hears of.
        if (firstError === undefined) firstError = error;
        if (!this.controller.signal.aborted) this.controller.abort(error);
      }
    };
    const sendParts = async () => {
      for (let partNumber = todo.shift(); partNumber !== undefined; partNumber = todo.shift()) {
        // Signed just before it is sent, so no part URL waits long enough to expire.
        const { parts } = await this.call<{ parts: TransferInstruction[] }>(
          "GET",
          `uploadId=${id}&parts=${partNumber}`,
        );
        const [part] = parts;
        if (!part)
          throw new SignedFileStoreError(0, "NoPartUrl", `the API signed no URL for part ${partNumber}`);
        const start = (partNumber - 1) * partSize;
        const n = partNumber;
        etags.set(
          n,
          await xhrPut(
            part.url,
            part.headers,
            this.file.slice(start, start + partSize),
            (bytes) => {
              sent.set(n, bytes);
              report();
            },
            this.controller.signal,
          ),
        );
        sent.set(n, this.partLength(n, partSize));
        report();
      }
    };
    const workers = Array.from({ length: Math.min(this.options.parallelParts ?? 4, todo.length) }, worker);
    // Every worker has stopped before the caller hears of a failure, so no part is still in flight.
    await Promise.all(workers);
    if (firstError !== undefined) throw firstError;
    const parts = [...etags].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
    const completed = await this.call<{ key: string; etag: string; size: number }>(
      "POST",
      `uploadId=${id}`,
      true,
      this.options.createOnly ? { "if-none-match": "*" } : {},
      { parts },
    );
    forgetUpload(storage, stateId);
    return {
      key: completed.key,
      size: completed.size,
      etag: completed.etag,
      ...(saved.sha256 ? { sha256: saved.sha256 } : {}),
      parts: count,
      resumedParts,
    };
  }
}
