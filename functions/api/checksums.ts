// The checksums S3 verifies on every write (Amazon S3 User Guide, "Checking object integrity in
// Amazon S3"), as the API, its clients and the local storage name and compute them.
//
// CRC64NVME is the store's algorithm. It is the only one S3 keeps as one FULL_OBJECT checksum for a
// multipart upload whatever its part sizes (SHA-256 is COMPOSITE there: a checksum of the parts'
// checksums, which a reader can recompute only if it knows every part's size), and it is what S3
// computes by default for every object uploaded without a checksum. A reader therefore checks any
// download, whole, ranged or resumed, against one value. SHA-256 is accepted too, for clients that
// already have one: on a single PUT it is a FULL_OBJECT checksum; a multipart upload that asks for
// it gets a COMPOSITE one.
//
// The CRC is written here rather than taken from @aws-sdk/crc64-nvme: that package brings
// @aws-sdk/core and @smithy/core into every client install, the browser SDK must ship with no
// dependency at all, and no package offers the combination of part CRCs that a FULL_OBJECT
// multipart checksum needs. tests/functions/api/checksums.test.ts checks both against the SDK's.

export type ChecksumAlgorithm = "CRC64NVME" | "SHA256";
export type ChecksumType = "FULL_OBJECT" | "COMPOSITE";

/** An object's checksum as S3 reports it (`x-amz-checksum-*` with `x-amz-checksum-type`). */
export interface ObjectChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
  /** Base64 of the big-endian digest; a COMPOSITE one ends in `-N`, N the number of parts. */
  readonly value: string;
}

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["CRC64NVME", "SHA256"];

/** The request and response header carrying each algorithm's value. */
export const CHECKSUM_HEADERS: Readonly<Record<ChecksumAlgorithm, string>> = {
  CRC64NVME: "x-amz-checksum-crc64nvme",
  SHA256: "x-amz-checksum-sha256",
};
export const CHECKSUM_ALGORITHM_HEADER = "x-amz-checksum-algorithm";
export const CHECKSUM_TYPE_HEADER = "x-amz-checksum-type";

/** The digest's length in bytes. */
const DIGEST_BYTES: Readonly<Record<ChecksumAlgorithm, number>> = { CRC64NVME: 8, SHA256: 32 };

/** The only multipart checksum type S3 allows for each algorithm. */
export const MULTIPART_CHECKSUM_TYPE: Readonly<Record<ChecksumAlgorithm, ChecksumType>> = {
  CRC64NVME: "FULL_OBJECT",
  SHA256: "COMPOSITE",
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Whether `value` is a well-formed checksum for `algorithm`: strict base64 of exactly its digest
 * length, with the unused bits of the last character zero, as S3 decodes it (it refuses
 * `rosUhgp5mIh=` for `rosUhgp5mIg=` with "Value for x-amz-checksum-crc64nvme header is invalid.").
 */
export function isChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  const padding = value.endsWith("==") ? 2 : value.endsWith("=") ? 1 : 0;
  return (
    BASE64.test(value) &&
    (value.length / 4) * 3 - padding === DIGEST_BYTES[algorithm] &&
    toBase64(fromBase64(value)) === value
  );
}

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

export function fromBase64(value: string): Uint8Array {
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

// CRC-64/NVME: reflected, polynomial 0xad93d23594c93659 (0x9a6c9329ac4bc9b5 reflected), initial
// value and final XOR all ones; "123456789" gives 0xae8b14860a799888.
const POLY = 0x9a6c9329ac4bc9b5n;
const MASK = 0xffffffffffffffffn;

/** Slicing-by-8 tables, each entry's 64 bits as two 32-bit halves (low, high) in one array. */
const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(512));
  const first = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let crc = BigInt(n);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
    first[n * 2] = Number(crc & 0xffffffffn);
    first[n * 2 + 1] = Number(crc >> 32n);
  }
  for (let t = 1; t < 8; t++) {
    const previous = tables[t - 1] as Uint32Array;
    const table = tables[t] as Uint32Array;
    for (let n = 0; n < 256; n++) {
      const lo = previous[n * 2] as number;
      const hi = previous[n * 2 + 1] as number;
      const index = (lo & 0xff) * 2;
      table[n * 2] = ((lo >>> 8) | (hi << 24)) ^ (first[index] as number);
      table[n * 2 + 1] = (hi >>> 8) ^ (first[index + 1] as number);
    }
  }
  return tables;
})();

/** An incremental CRC64NVME. */
export class Crc64Nvme {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): this {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
    ];
    let lo = this.lo;
    let hi = this.hi;
    const end = data.length;
    let i = 0;
    for (; i + 8 <= end; i += 8) {
      const a = (((lo ^ (data[i] as number)) & 0xff) << 1) >>> 0;
      const b = ((((lo >>> 8) ^ (data[i + 1] as number)) & 0xff) << 1) >>> 0;
      const c = ((((lo >>> 16) ^ (data[i + 2] as number)) & 0xff) << 1) >>> 0;
      const d = ((((lo >>> 24) ^ (data[i + 3] as number)) & 0xff) << 1) >>> 0;
      const e = (((hi ^ (data[i + 4] as number)) & 0xff) << 1) >>> 0;
      const f = ((((hi >>> 8) ^ (data[i + 5] as number)) & 0xff) << 1) >>> 0;
      const g = ((((hi >>> 16) ^ (data[i + 6] as number)) & 0xff) << 1) >>> 0;
      const h = ((((hi >>> 24) ^ (data[i + 7] as number)) & 0xff) << 1) >>> 0;
      lo = (t7[a] as number) ^ (t6[b] as number) ^ (t5[c] as number) ^ (t4[d] as number);
      lo ^= (t3[e] as number) ^ (t2[f] as number) ^ (t1[g] as number) ^ (t0[h] as number);
      hi = (t7[a + 1] as number) ^ (t6[b + 1] as number) ^ (t5[c + 1] as number) ^ (t4[d + 1] as number);
      hi ^= (t3[e + 1] as number) ^ (t2[f + 1] as number) ^ (t1[g + 1] as number) ^ (t0[h + 1] as number);
    }
    for (; i < end; i++) {
      const index = ((lo ^ (data[i] as number)) & 0xff) << 1;
      lo = ((lo >>> 8) | (hi << 24)) ^ (t0[index] as number);
      hi = (hi >>> 8) ^ (t0[index + 1] as number);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The CRC so far, as a number of 64 bits. */
  value(): bigint {
    return ((BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0)) ^ MASK;
  }

  /** The CRC so far as S3 writes it: base64 of its 8 big-endian bytes. */
  digest(): string {
    return crc64ToBase64(this.value());
  }
}

export function crc64ToBase64(crc: bigint): string {
  const bytes = new Uint8Array(8);
  for (let i = 0; i < 8; i++) bytes[i] = Number((crc >> BigInt(56 - 8 * i)) & 0xffn);
  return toBase64(bytes);
}

export function crc64FromBase64(value: string): bigint {
  let crc = 0n;
  for (const byte of fromBase64(value)) crc = (crc << 8n) | BigInt(byte);
  return crc;
}

/** a(x)·b(x) modulo the polynomial, both reflected (x^0 is the top bit). */
function multiplyModP(a: bigint, b: bigint): bigint {
  let product = 0n;
  let m = 1n << 63n;
  let bb = b;
  while (m !== 0n) {
    if (a & m) product ^= bb;
    m >>= 1n;
    bb = bb & 1n ? (bb >> 1n) ^ POLY : bb >> 1n;
  }
  return product;
}

/** x^(2^k) modulo the polynomial, for k = 0..63. */
const X_POWERS: bigint[] = (() => {
  const powers = [1n << 62n];
  for (let k = 1; k < 64; k++) {
    const previous = powers[k - 1] as bigint;
    powers.push(multiplyModP(previous, previous));
  }
  return powers;
})();

/**
 * The CRC64NVME of A followed by B, from the CRCs of A and B and the length of B, as zlib's
 * crc32_combine does for CRC-32: S3 builds a multipart upload's FULL_OBJECT checksum this way from
 * its parts' checksums, without reading the bytes again.
 */
export function combineCrc64(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  // x^(8·lengthB): the powers x^(2^k) for the bits of 8·lengthB.
  let shift = 1n << 63n;
  let n = BigInt(lengthB) * 8n;
  for (let k = 0; n > 0n; k++, n >>= 1n) {
    if (n & 1n) shift = multiplyModP(X_POWERS[k % 64] as bigint, shift);
  }
  return multiplyModP(shift, crcA) ^ crcB;
}
