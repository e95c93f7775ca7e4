import {
  CHECKSUM_ALGORITHM_HEADER,
  CHECKSUM_HEADERS,
  combineCrc64,
  crc64ToBase64,
  type ObjectChecksum,
} from "../functions/api/checksums";

export type { UploadOptions, UploadProgress, UploadResult } from "./upload-types";

import { type Api, SignedFileStoreError, type TransferInstruction } from "./api";
import { crcOfBlob, readWithCrc } from "./checksum";
import { type StoredPart, sendParts } from "./parts";
import { defaultStorage, forgetUpload, loadUpload, saveUpload, uploadStateKey } from "./upload-state";
import type { UploadOptions, UploadResult } from "./upload-types";
import { abortError, xhrPut } from "./xhr-put";

const MIB = 1024 ** 2;
/** A single PUT holds the file in memory up to this size (read once); above, it is read twice. */
const BUFFERED_PUT_BYTES = 64 * MIB;
const CRC = CHECKSUM_HEADERS.CRC64NVME;

const fullObject = (crc: bigint): ObjectChecksum => ({
  algorithm: "CRC64NVME",
  type: "FULL_OBJECT",
  value: crc64ToBase64(crc),
});

/**
 * A running upload. `done` settles when the current run ends; `pause` stops it and keeps its parts,
 * `resume` continues a paused or failed one from the parts storage holds, `abort` drops them.
 */
export class Upload {
  private controller = new AbortController();
  private run: Promise<UploadResult>;
  private uploadId: string | undefined;
  private partSize = 0;
  /** Parts stored in this page's runs, with the CRCs they were sent with. */
  private readonly stored = new Map<number, StoredPart>();
  private dropParts = false;
  private state: "running" | "succeeded" | "failed" = "running";

  constructor(
    private readonly api: Api,
    private readonly file: Blob,
    private readonly key: string,
    private readonly options: UploadOptions,
  ) {
    this.run = this.start();
  }

  /** The current run's outcome: after `resume()`, the resumed run's. */
  get done(): Promise<UploadResult> {
    return this.run;
  }

  /** Stops sending; a multipart upload stays stored, and `resume()` (or the same file after a reload) continues it. */
  pause(): void {
    this.controller.abort(new DOMException("the upload was paused", "AbortError"));
  }

  /**
   * Continues a paused or interrupted upload: a multipart one from the parts storage holds (listed
   * again, so parts sent just before the interruption count), a single PUT from the start. A running
   * upload is left as it is.
   */
  resume(): Promise<UploadResult> {
    if (this.state !== "failed" || this.dropParts) return this.run;
    this.controller = new AbortController();
    this.run = this.start();
    return this.run;
  }

  /** Stops sending and deletes the parts already stored (AbortMultipartUpload). */
  async abort(): Promise<void> {
    this.dropParts = true;
    this.controller.abort(new DOMException("the upload was aborted", "AbortError"));
    await this.run.catch(() => undefined);
  }

  private async start(): Promise<UploadResult> {
    this.state = "running";
    try {
      const result = await this.attempt();
      this.state = "succeeded";
      return result;
    } catch (error) {
      this.state = "failed";
      throw error;
    }
  }

  private async attempt(): Promise<UploadResult> {
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

  private progress(bytes: number): void {
    this.options.onProgress?.({ phase: "uploading", bytes, total: this.file.size });
  }

  private throwIfAborted(): void {
    if (this.controller.signal.aborted) throw abortError(this.controller.signal);
  }

  /** The headers the API signs into the upload, so storage enforces them. */
  private uploadHeaders(): Record<string, string> {
    const { file, options } = this;
    const name = options.downloadName ?? (file as Partial<File>).name;
    return {
      "content-type": options.contentType || file.type || "application/octet-stream",
      ...(name ? { "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}` } : {}),
      "upload-length": String(file.size),
    };
  }

  /** One PUT: the file is read first, since its checksum goes into the URL the API signs. */
  private async single(): Promise<UploadResult> {
    const { file } = this;
    const read = file.size <= BUFFERED_PUT_BYTES ? await readWithCrc(file) : undefined;
    const crc = read?.crc ?? (await crcOfBlob(file, this.controller.signal));
    this.throwIfAborted();
    const checksum = fullObject(crc);
    const headers = {
      ...this.uploadHeaders(),
      [CRC]: checksum.value,
      ...(this.options.createOnly ? { "if-none-match": "*" } : {}),
    };
    const step = await this.call<TransferInstruction>("PUT", "", true, headers);
    const etag = await xhrPut(
      step.url,
      step.headers,
      read?.bytes ?? file,
      (b) => this.progress(b),
      this.controller.signal,
    );
    this.progress(file.size);
    return { key: this.key, size: file.size, etag, checksum, parts: 0, resumedParts: 0 };
  }

  /** Parts storage already holds for `uploadId`, with their CRCs (known, or read again from the file). */
  private async listStored(uploadId: string, partSize: number): Promise<Map<number, StoredPart> | undefined> {
    let parts: Array<{ partNumber: number; etag: string; size: number }>;
    try {
      ({ parts } = await this.call<{ parts: typeof parts }>(
        "GET",
        `uploadId=${encodeURIComponent(uploadId)}`,
      ));
    } catch (error) {
      if (error instanceof SignedFileStoreError && error.code === "NoSuchUpload") return undefined;
      throw error;
    }
    const done = new Map<number, StoredPart>();
    for (const part of parts) {
      // A part cut short by a crash is stored with fewer bytes; it is sent again.
      if (part.size !== this.partLength(part.partNumber, partSize)) continue;
      const known = this.stored.get(part.partNumber);
      const start = (part.partNumber - 1) * partSize;
      const crc =
        known?.etag === part.etag
          ? known.crc
          : (await readWithCrc(this.file.slice(start, start + partSize))).crc;
      done.set(part.partNumber, { etag: part.etag, crc });
    }
    return done;
  }

  private partLength(partNumber: number, partSize: number): number {
    return Math.max(0, Math.min(partSize, this.file.size - (partNumber - 1) * partSize));
  }

  private async multipart(storage: Storage | undefined, stateId: string): Promise<UploadResult> {
    let saved = this.uploadId
      ? { uploadId: this.uploadId, partSize: this.partSize }
      : loadUpload(storage, stateId);
    let done = saved ? await this.listStored(saved.uploadId, saved.partSize) : undefined;
    if (!saved || !done) {
      forgetUpload(storage, stateId);
      const created = await this.call<{ uploadId: string; partSize: number }>("POST", "uploads", true, {
        ...this.uploadHeaders(),
        [CHECKSUM_ALGORITHM_HEADER]: "CRC64NVME",
      });
      saved = { uploadId: created.uploadId, partSize: created.partSize };
      saveUpload(storage, stateId, { ...saved, checksumAlgorithm: "CRC64NVME" });
      done = new Map();
    }
    const { uploadId, partSize } = saved;
    this.uploadId = uploadId;
    this.partSize = partSize;
    const resumedParts = done.size;
    const stored = done;
    const count = Math.ceil(this.file.size / partSize);
    const sent = new Map<number, number>();
    for (const partNumber of stored.keys()) sent.set(partNumber, this.partLength(partNumber, partSize));
    const report = () => this.progress([...sent.values()].reduce((a, b) => a + b, 0));
    report();
    const id = encodeURIComponent(uploadId);
    const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !stored.has(n));
    try {
      await sendParts(
        {
          file: this.file,
          partSize,
          parallel: Math.max(1, this.options.parallelParts ?? 4),
          signal: this.controller.signal,
          sign: async (first, checksums) => {
            const last = first + checksums.length - 1;
            const { parts } = await this.call<{ parts: TransferInstruction[] }>(
              "GET",
              `uploadId=${id}&parts=${first}-${last}`,
              true,
              { [CRC]: checksums.join(",") },
            );
            return parts;
          },
          onPartBytes: (n, bytes) => {
            sent.set(n, bytes);
            report();
          },
        },
        todo,
        stored,
      );
    } finally {
      for (const [n, part] of stored) this.stored.set(n, part);
    }
    this.throwIfAborted();
    const parts = [...stored].sort(([a], [b]) => a - b);
    let whole = 0n;
    parts.forEach(([n, part], i) => {
      whole = i === 0 ? part.crc : combineCrc64(whole, part.crc, this.partLength(n, partSize));
    });
    const checksum = fullObject(whole);
    const completed = await this.call<{ key: string; etag: string; size: number; versionId?: string }>(
      "POST",
      `uploadId=${id}`,
      true,
      { [CRC]: checksum.value, ...(this.options.createOnly ? { "if-none-match": "*" } : {}) },
      {
        parts: parts.map(([partNumber, p]) => ({ partNumber, etag: p.etag, checksum: crc64ToBase64(p.crc) })),
      },
    );
    forgetUpload(storage, stateId);
    this.uploadId = undefined;
    return {
      key: completed.key,
      size: completed.size,
      etag: completed.etag,
      checksum,
      ...(completed.versionId === undefined ? {} : { versionId: completed.versionId }),
      parts: count,
      resumedParts,
    };
  }
}
