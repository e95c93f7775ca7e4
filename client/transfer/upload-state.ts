import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { S3_LIMITS } from "../../functions/api/upload-rules";

/** An interrupted multipart upload, remembered so that running the same upload again resumes it. */
export interface UploadState {
  readonly apiUrl: string;
  readonly key: string;
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Storage checks every part of the upload against its CRC64NVME. */
  readonly checksumAlgorithm: "CRC64NVME";
  readonly uploadId: string;
  readonly partSize: number;
}

/** One state file per API, key and file, so that different uploads never resume each other. */
export function stateFileFor(stateDir: string, apiUrl: string, key: string, absoluteFile: string): string {
  const id = createHash("sha256").update(`${apiUrl}\n${key}\n${absoluteFile}`).digest("hex").slice(0, 32);
  return path.join(stateDir, `${id}.json`);
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes % 1024 ** 2 ? 2 : 0)} MiB`;

/**
 * Why S3 would refuse a `size`-byte file cut into `partSize` parts, or undefined when it would not:
 * every part but the last at least 5 MiB, none above 5 GiB, at most 10,000 of them.
 */
export function partSizeProblem(partSize: number, size: number): string | undefined {
  if (!Number.isSafeInteger(partSize) || partSize < 1)
    return `a part size of ${partSize} bytes is not a byte count`;
  if (partSize > S3_LIMITS.maxPartBytes) return `parts of ${mib(partSize)} are above S3's 5 GiB limit`;
  if (partSize < S3_LIMITS.minPartBytes && size > partSize) {
    return `parts of ${mib(partSize)} are below S3's 5 MiB minimum`;
  }
  const parts = Math.ceil(size / partSize);
  if (parts > S3_LIMITS.maxParts) return `${parts} parts of ${mib(partSize)} are more than S3's 10,000`;
  return undefined;
}

export type SavedState = { readonly state: UploadState } | { readonly unreadable: true } | undefined;

export async function readState(file: string): Promise<SavedState> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as Partial<UploadState>;
    if (typeof state.uploadId === "string" && typeof state.partSize === "number") {
      return { state: state as UploadState };
    }
  } catch {}
  return { unreadable: true };
}

/** Why a saved upload cannot be resumed for the file as it is now, or undefined when it can. */
export function staleReason(
  state: UploadState,
  now: { readonly size: number; readonly mtimeMs: number; readonly partSize?: number },
): string | undefined {
  if (state.size !== now.size || state.mtimeMs !== now.mtimeMs) return "the file changed since";
  // An upload begun without an algorithm takes no part checksums: its parts were never verified.
  if (state.checksumAlgorithm !== "CRC64NVME") return "it was begun without checksums";
  if (now.partSize !== undefined && now.partSize !== state.partSize) {
    return `it used parts of ${mib(state.partSize)}, and ${mib(now.partSize)} were asked for`;
  }
  return partSizeProblem(state.partSize, state.size);
}

/**
 * Written beside the state file, then renamed over it: a reader (another sfstore resuming the same
 * upload) or a kill mid-write never leaves a half-written state, which would read as unreadable and
 * orphan the upload it names.
 */
export async function writeState(file: string, state: UploadState): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await fs.writeFile(partial, JSON.stringify(state));
  await fs.rename(partial, file);
}

export async function removeState(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}
