import * as os from "node:os";
import * as path from "node:path";
import { crc64ToBase64, type ObjectChecksum } from "../../functions/api/checksums";
import type { RetryOptions } from "../retry";

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
  /** `checksum` only for a single PUT too large to hold in memory, whose checksum precedes its URL. */
  readonly phase: "checksum" | "upload" | "download";
  readonly bytes: number;
  readonly total: number;
}

export interface UploadResult {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** The CRC64NVME of the bytes sent, which storage verified them against. */
  readonly checksum: ObjectChecksum;
  readonly versionId?: string;
  readonly parts: number;
  /** Parts already in the store from an earlier, interrupted run. */
  readonly resumedParts: number;
}

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(base, "signed-file-store", "uploads");
}

export type Report = (phase: Progress["phase"], bytes: number) => void;

/** The headers the API signs into every upload of this file, so storage enforces them. */
export function uploadHeaders(options: UploadOptions, size: number): Record<string, string> {
  return {
    "upload-length": String(size),
    ...(options.contentType ? { "content-type": options.contentType } : {}),
    ...(options.contentDisposition ? { "content-disposition": options.contentDisposition } : {}),
  };
}

/** A callback adding byte counts (negative when a try is undone) to a phase's running total. */
export function counter(report: Report, phase: Progress["phase"], start = 0): (n: number) => void {
  let bytes = start;
  report(phase, bytes);
  return (n) => {
    bytes += n;
    report(phase, bytes);
  };
}

export const fullObject = (crc: bigint): ObjectChecksum => ({
  algorithm: "CRC64NVME",
  type: "FULL_OBJECT",
  value: crc64ToBase64(crc),
});
