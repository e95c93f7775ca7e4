import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

/** CRC-32C (Castagnoli), reflected, as S3's x-amz-checksum-crc32c. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC32C_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

/** The body checksums S3 accepts in headers, each computed as S3 encodes it (base64). */
const ALGORITHMS: Record<string, (data: Buffer) => string> = {
  "content-md5": (d) => createHash("md5").update(d).digest("base64"),
  "x-amz-checksum-crc32": (d) => uint32(crc32(d)).toString("base64"),
  "x-amz-checksum-crc32c": (d) => uint32(crc32c(d)).toString("base64"),
  "x-amz-checksum-sha1": (d) => createHash("sha1").update(d).digest("base64"),
  "x-amz-checksum-sha256": (d) => createHash("sha256").update(d).digest("base64"),
};

export type IntegrityVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "missing" }
  | { readonly ok: false; readonly reason: "mismatch"; readonly header: string };

/**
 * For operations where S3 requires an integrity header (DeleteObjects: "The Content-MD5 or
 * x-amz-sdk-checksum-algorithm header is required for all Multi-Object Delete requests"): at least
 * one of Content-MD5 or an x-amz-checksum-* header, and each one given must match the body.
 * CRC64NVME is accepted without being recomputed here.
 */
export function checkBodyIntegrity(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
): IntegrityVerdict {
  let present = false;
  for (const [name, compute] of Object.entries(ALGORITHMS)) {
    const given = headers[name];
    if (typeof given !== "string") continue;
    present = true;
    if (given !== compute(body)) return { ok: false, reason: "mismatch", header: name };
  }
  if (typeof headers["x-amz-checksum-crc64nvme"] === "string") present = true;
  return present ? { ok: true } : { ok: false, reason: "missing" };
}
