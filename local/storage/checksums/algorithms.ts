import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Crc64Nvme, combineCrc64, crc64FromBase64, crc64ToBase64 } from "../../../functions/api/checksums";
import { combineCrc32 } from "./crc-combine";
import { CRC32C_POLYNOMIAL, crc32c } from "./crc32c";

/**
 * The additional checksums S3 verifies and stores (Amazon S3 User Guide, "Checking object
 * integrity in Amazon S3"), each as S3 writes it: base64 of the big-endian digest. CRC-64/NVME
 * comes from functions/api/checksums.ts (the store's own algorithm), CRC-32 from Node's zlib, the
 * SHAs from node:crypto and CRC-32C from crc32c.ts.
 */
export type Algorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";
export type ChecksumType = "FULL_OBJECT" | "COMPOSITE";

export const ALGORITHMS: readonly Algorithm[] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];

export function isAlgorithm(name: string): name is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** `x-amz-checksum-crc32`, …: the header (and, capitalised, the XML element) of each. */
export function headerOf(algorithm: Algorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** `ChecksumCRC32`, …: the element in listings, completions and attributes. */
export function elementOf(algorithm: Algorithm): string {
  return `Checksum${algorithm}`;
}

const DIGEST_BYTES: Readonly<Record<Algorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

/**
 * Whether `value` is a checksum S3 would take for `algorithm`: strict base64 (standard alphabet,
 * `=` padding, unused bits zero) of exactly the digest's length. S3 refuses `y/Q5Jh==` for the CRC32
 * `y/Q5Jg==` as malformed (openstack/swift test/s3api/test_object_checksums.py, run against AWS).
 */
export function isChecksumValue(algorithm: Algorithm, value: string): boolean {
  const bytes = Buffer.from(value, "base64");
  return bytes.length === DIGEST_BYTES[algorithm] && bytes.toString("base64") === value;
}

/** Which algorithms can be combined from parts into a FULL_OBJECT checksum: the CRCs. */
export function isCrc(algorithm: Algorithm): boolean {
  return algorithm === "CRC32" || algorithm === "CRC32C" || algorithm === "CRC64NVME";
}

export interface Hasher {
  update(chunk: Buffer): void;
  /** The checksum as S3 writes it (base64); the hasher is done after. */
  digest(): string;
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

class NodeHash implements Hasher {
  constructor(private readonly hash: Hash) {}
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): string {
    return this.hash.digest("base64");
  }
}

class Crc32Hasher implements Hasher {
  private crc = 0;
  constructor(private readonly step: (data: Buffer, crc: number) => number) {}
  update(chunk: Buffer): void {
    this.crc = this.step(chunk, this.crc);
  }
  digest(): string {
    return uint32(this.crc).toString("base64");
  }
}

class Crc64Hasher implements Hasher {
  private readonly crc = new Crc64Nvme();
  update(chunk: Buffer): void {
    this.crc.update(chunk);
  }
  digest(): string {
    return this.crc.digest();
  }
}

export function hasher(algorithm: Algorithm): Hasher {
  switch (algorithm) {
    case "CRC32":
      return new Crc32Hasher((data, crc) => crc32(data, crc));
    case "CRC32C":
      return new Crc32Hasher(crc32c);
    case "CRC64NVME":
      return new Crc64Hasher();
    case "SHA1":
      return new NodeHash(createHash("sha1"));
    case "SHA256":
      return new NodeHash(createHash("sha256"));
  }
}

export function checksumOf(algorithm: Algorithm, data: Buffer): string {
  const h = hasher(algorithm);
  h.update(data);
  return h.digest();
}

/**
 * The FULL_OBJECT checksum of parts in order from their checksums and sizes (CRCs only). Its cost
 * grows with the number of parts, never with their bytes.
 */
export function combineParts(
  algorithm: Algorithm,
  parts: ReadonlyArray<{ checksum: string; size: number }>,
): string {
  if (algorithm === "CRC64NVME") {
    let crc = 0n;
    for (const part of parts) crc = combineCrc64(crc, crc64FromBase64(part.checksum), part.size);
    return crc64ToBase64(crc);
  }
  if (algorithm === "CRC32" || algorithm === "CRC32C") {
    const polynomial = algorithm === "CRC32" ? 0xedb88320 : CRC32C_POLYNOMIAL;
    let crc = 0;
    for (const part of parts) {
      crc = combineCrc32(crc, Buffer.from(part.checksum, "base64").readUInt32BE(0), part.size, polynomial);
    }
    return uint32(crc).toString("base64");
  }
  throw new Error(`${algorithm} checksums cannot be combined into a full-object checksum`);
}

/**
 * A COMPOSITE checksum: the algorithm over the parts' raw digests in order, then `-N` ("Checking
 * object integrity", "Using part-level checksums for multipart uploads"; verified against values
 * S3 returned in localstack's AWS-validated snapshots, tests/aws/services/s3/test_s3.py).
 */
export function compositeOf(algorithm: Algorithm, partChecksums: readonly string[]): string {
  const digest = checksumOf(algorithm, Buffer.concat(partChecksums.map((c) => Buffer.from(c, "base64"))));
  return `${digest}-${partChecksums.length}`;
}
