import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { readText, sendTo, xmlErrorCode } from "../http";
import { statusError, TransientError } from "../retry";
import { newCrc64 } from "./crc64-wasm";

/**
 * Reads are this large: few syscalls, and while the thread pool reads the next one the CRC of the
 * last one is computed on the main thread, so disk and CPU overlap instead of taking turns.
 */
const READ_BYTES = 2 * 1024 * 1024;

/** A range of a file, read once, with the CRC64NVME of exactly its bytes. */
export interface ReadRange {
  readonly bytes: Buffer;
  readonly crc: bigint;
}

function shortRead(file: string, position: number, end: number): Error {
  return new Error(`${file} ended at byte ${position}, before byte ${end}`);
}

/**
 * Reads `length` bytes at `start` into `into` (or a new buffer), computing their CRC64NVME as the
 * reads arrive: the checksum of a part is known the moment the part is in memory, with no pass of
 * its own. `onRead` hears of every read.
 */
export async function readRange(
  handle: FileHandle,
  file: string,
  start: number,
  length: number,
  onRead?: (position: number, bytes: number) => void,
  into?: Buffer,
): Promise<ReadRange> {
  const bytes = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  const crc = newCrc64();
  const readAt = async (offset: number): Promise<number> => {
    const wanted = Math.min(READ_BYTES, length - offset);
    const { bytesRead } = await handle.read(bytes, offset, wanted, start + offset);
    if (bytesRead === 0) throw shortRead(file, start + offset, start + length - 1);
    onRead?.(start + offset, bytesRead);
    return bytesRead;
  };
  let offset = 0;
  let pending = length > 0 ? readAt(0) : undefined;
  while (pending) {
    const got = await pending;
    const done = offset;
    offset += got;
    pending = offset < length ? readAt(offset) : undefined;
    crc.update(bytes.subarray(done, offset));
  }
  return { bytes, crc: crc.value() };
}

/**
 * The CRC64NVME (and, when asked, the hex MD5) of a range too large to hold in memory, read into two
 * reused buffers taking turns, so memory stays flat whatever the size.
 */
export async function checksumRange(
  file: string,
  start: number,
  length: number,
  options: { readonly md5?: boolean; readonly onBytes?: (n: number) => void } = {},
): Promise<{ crc: bigint; md5?: string }> {
  const crc = newCrc64();
  const md5 = options.md5 ? createHash("md5") : undefined;
  const handle = await open(file, "r");
  try {
    const buffers = [0, 1].map(() => Buffer.allocUnsafe(Math.max(1, Math.min(READ_BYTES, length))));
    const readAt = async (offset: number, buffer: Buffer) => {
      const wanted = Math.min(buffer.length, length - offset);
      const { bytesRead } = await handle.read(buffer, 0, wanted, start + offset);
      if (bytesRead === 0) throw shortRead(file, start + offset, start + length - 1);
      return buffer.subarray(0, bytesRead);
    };
    let offset = 0;
    let turn = 0;
    let pending = length > 0 ? readAt(0, buffers[0] as Buffer) : undefined;
    while (pending) {
      const chunk = await pending;
      offset += chunk.length;
      turn ^= 1;
      pending = offset < length ? readAt(offset, buffers[turn] as Buffer) : undefined;
      crc.update(chunk);
      md5?.update(chunk);
      options.onBytes?.(chunk.length);
    }
  } finally {
    await handle.close();
  }
  return { crc: crc.value(), ...(md5 ? { md5: md5.digest("hex") } : {}) };
}

/** What a PUT sends: bytes already in memory, or a range of a file streamed from disk. */
export type PutBody = Buffer | { readonly file: string; readonly start: number; readonly length: number };

/**
 * Sends one body to a presigned URL. The URL binds the body's checksum, so storage verifies every
 * byte (400 BadDigest when one differs); a BadDigest is the bytes' corruption on the way, worth a
 * retry, as is an expired URL, which a fresh signature mends.
 */
export async function putBody(
  target: { url: string; headers: Readonly<Record<string, string>> },
  body: PutBody,
  onBytes: (n: number) => void,
): Promise<string> {
  const { length } = body;
  let sent = 0;
  const counted = (n: number) => {
    sent += n;
    onBytes(n);
  };
  try {
    const res = await sendTo("storage", {
      method: "PUT",
      url: target.url,
      headers: { ...target.headers, "content-length": String(length) },
      // createReadStream refuses an end before its start, so an empty range sends an empty buffer.
      body: Buffer.isBuffer(body) || body.length === 0 ? bufferOf(body) : () => streamOf(body, counted),
      ...(Buffer.isBuffer(body) ? { onBodySent: counted } : {}),
    });
    if (res.status < 300) res.body.resume();
    else {
      const text = await readText(res);
      const code = xmlErrorCode(text);
      if ((res.status === 403 && /expired/i.test(text)) || code === "BadDigest") {
        throw new TransientError(`${code} from storage`, res.status, code);
      }
      throw statusError(res.status, `${code} from storage`, code);
    }
    const etag = res.headers.etag;
    if (!etag) throw new TransientError("storage answered without an ETag");
    return etag;
  } catch (error) {
    onBytes(-sent);
    throw error;
  }
}

const bufferOf = (body: PutBody): Buffer => (Buffer.isBuffer(body) ? body : Buffer.alloc(0));

function streamOf(body: { file: string; start: number; length: number }, counted: (n: number) => void) {
  const stream = createReadStream(body.file, {
    start: body.start,
    end: body.start + body.length - 1,
    highWaterMark: READ_BYTES,
  });
  stream.on("data", (chunk) => counted(chunk.length));
  return stream;
}

/** The bytes of part `partNumber` (from 1) when a `size`-byte file is cut into `partSize` parts. */
export function partRange(
  partNumber: number,
  partSize: number,
  size: number,
): { start: number; length: number } {
  const start = (partNumber - 1) * partSize;
  return { start, length: Math.min(partSize, size - start) };
}

/** S3's ETag of a part is its MD5 (SSE-S3); other forms cannot be checked here. */
function etagMatches(etag: string, md5: string): boolean {
  const bare = etag.replace(/"/g, "");
  return !/^[0-9a-f]{32}$/.test(bare) || bare === md5;
}

/**
 * Parts already in the store count only when their size and MD5 match the file's bytes now; their
 * CRCs, read in the same pass, go into the completion, where storage checks them once more.
 */
export async function verifiedParts(
  file: string,
  size: number,
  partSize: number,
  listed: ReadonlyArray<{ partNumber: number; etag: string; size: number }>,
): Promise<Map<number, { etag: string; crc: bigint }>> {
  const verified = new Map<number, { etag: string; crc: bigint }>();
  for (const part of listed) {
    const { start, length } = partRange(part.partNumber, partSize, size);
    if (length <= 0 || part.size !== length) continue;
    const { crc, md5 } = await checksumRange(file, start, length, { md5: true });
    if (etagMatches(part.etag, md5 ?? "")) verified.set(part.partNumber, { etag: part.etag, crc });
  }
  return verified;
}
