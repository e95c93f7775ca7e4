import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { type Algorithm, type Hasher, hasher } from "../checksums/algorithms";

/**
 * The request body stopped before its declared length, or the connection broke while it was being
 * read: the client's fault (S3's 400 IncompleteBody), unlike a failure to write what arrived.
 */
export class IncompleteBodyError extends Error {}

/**
 * Called before each write with the file and the bytes written so far; a test throws from it
 * (an `ENOSPC` or `EIO` error) to stand for a full or failing disk.
 */
export type WriteFault = (file: string, bytesWritten: number) => void;

export interface DurableWriteOptions {
  /** The declared Content-Length; a body of another length is an IncompleteBodyError. */
  readonly expectedLength?: number;
  /** Also hash with SHA-256, for a header-signed body whose x-amz-content-sha256 must match. */
  readonly sha256?: boolean;
  /** The additional checksums to compute as the bytes go by (one pass, whatever the size). */
  readonly checksums?: readonly Algorithm[];
  readonly fault?: WriteFault;
}

export interface DurableWriteResult {
  readonly md5: string;
  readonly sha256?: string;
  readonly size: number;
  /** Each asked-for checksum, base64 as S3 writes it. */
  readonly checksums: Partial<Record<Algorithm, string>>;
}

/** Writes are batched to about this many bytes so the disk sees few, large writes. */
const BATCH_BYTES = 1024 * 1024;

/**
 * Streams a body into a new file and fsyncs it, hashing as it goes. On any failure the file is
 * removed before the promise rejects, so nothing partial is left behind: an IncompleteBodyError
 * when the body was cut short, the file system's own error otherwise.
 */
export async function writeDurably(
  body: AsyncIterable<Buffer>,
  file: string,
  options: DurableWriteOptions = {},
): Promise<DurableWriteResult> {
  const md5 = createHash("md5");
  const sha256 = options.sha256 ? createHash("sha256") : undefined;
  const hashers: Array<[Algorithm, Hasher]> = (options.checksums ?? []).map((a) => [a, hasher(a)]);
  const handle = await fs.open(file, "wx");
  let size = 0;
  let written = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    options.fault?.(file, written);
    const batch = pending;
    pending = [];
    const length = pendingBytes;
    pendingBytes = 0;
    await handle.writev(batch);
    written += length;
  };
  try {
    const source = body[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await source.next();
      } catch (error) {
        throw new IncompleteBodyError(`request body broke off after ${size} bytes: ${String(error)}`);
      }
      if (next.done) break;
      const chunk = next.value;
      md5.update(chunk);
      sha256?.update(chunk);
      for (const [, h] of hashers) h.update(chunk);
      size += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= BATCH_BYTES) await flush();
    }
    if (options.expectedLength !== undefined && options.expectedLength !== size) {
      throw new IncompleteBodyError(`body ended after ${size} of ${options.expectedLength} bytes`);
    }
    await flush();
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw error;
  }
  await handle.close();
  return {
    md5: md5.digest("hex"),
    ...(sha256 ? { sha256: sha256.digest("hex") } : {}),
    size,
    checksums: Object.fromEntries(hashers.map(([a, h]) => [a, h.digest()])),
  };
}

/** Writes a small new file (a record or an index) and fsyncs it, for a rename into place after. */
export async function writeSmallFileDurably(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, "wx");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory, so that the names just created or renamed in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
