import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Transform } from "node:stream";
import { readText, sendTo, xmlErrorCode } from "../http";
import { statusError, TransientError } from "../retry";

const HASH_READ_BYTES = 4 * 1024 * 1024;

/**
 * Hashes a byte range of a file, reading it into one reused buffer so memory stays flat whatever
 * the size. Not a read stream: reads of 4 MiB into the same buffer hash a file about a fifth faster
 * than a stream's fresh 1 MiB chunks, and an upload cannot start until its SHA-256 is known.
 */
export async function hashRange(
  file: string,
  start: number,
  end: number,
  algorithm: "sha256" | "md5",
  onBytes?: (n: number) => void,
): Promise<string> {
  const hash = createHash(algorithm);
  if (end < start) return hash.digest("hex");
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(Math.min(HASH_READ_BYTES, end - start + 1));
    for (let position = start; position <= end; ) {
      const wanted = Math.min(buffer.length, end - position + 1);
      const { bytesRead } = await handle.read(buffer, 0, wanted, position);
      if (bytesRead === 0) throw new Error(`${file} ended at byte ${position}, before byte ${end}`);
      hash.update(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      position += bytesRead;
      onBytes?.(bytesRead);
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/** S3's ETag of a part or a single-PUT object is its MD5 (SSE-S3); other forms cannot be checked. */
function etagMatches(etag: string | undefined, md5: string): boolean {
  const bare = (etag ?? "").replace(/"/g, "");
  return !/^[0-9a-f]{32}$/.test(bare) || bare === md5;
}

/** Sends one byte range to a presigned URL, checking the ETag S3 returns against the bytes' MD5. */
export async function putRange(
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
    const res = await sendTo("storage", {
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
      if (res.status === 403 && /expired/i.test(text)) {
        throw new TransientError(`${code} from storage`, 403, code);
      }
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

/** The bytes of part `partNumber` (from 1) when a `size`-byte file is cut into `partSize` parts. */
export function partRange(
  partNumber: number,
  partSize: number,
  size: number,
): { start: number; length: number } {
  const start = (partNumber - 1) * partSize;
  return { start, length: Math.min(partSize, size - start) };
}

/** Parts already in the store count only when their size and MD5 match the file's bytes now. */
export async function verifiedParts(
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
