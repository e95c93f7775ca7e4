/**
 * The CRC of A followed by B from the CRCs of A and B and the length of B, for reflected 32-bit CRCs
 * (CRC-32, CRC-32C), as zlib's crc32_combine and awslabs/aws-checksums' aws_checksums_crc32_combine
 * compute it: S3 builds a multipart upload's FULL_OBJECT checksum this way from the parts'
 * checksums, without reading the bytes again (Amazon S3 User Guide, "Checking object integrity",
 * "Using full object checksums for multipart upload"). Node's zlib does not export crc32_combine.
 */

/** a(x)·b(x) modulo the reflected `polynomial` (x^0 is the top bit). */
function multiplyModP(a: number, b: number, polynomial: number): number {
  let product = 0;
  let bb = b >>> 0;
  for (let m = 0x80000000; m !== 0; m >>>= 1) {
    if (a & m) product ^= bb;
    bb = bb & 1 ? (bb >>> 1) ^ polynomial : bb >>> 1;
  }
  return product >>> 0;
}

const powerTables = new Map<number, number[]>();

/** x^(2^k) modulo the polynomial for k = 0..63, built once per polynomial. */
function powersOf(polynomial: number): number[] {
  let powers = powerTables.get(polynomial);
  if (!powers) {
    powers = [0x40000000];
    for (let k = 1; k < 64; k += 1) {
      const previous = powers[k - 1] as number;
      powers.push(multiplyModP(previous, previous, polynomial));
    }
    powerTables.set(polynomial, powers);
  }
  return powers;
}

export function combineCrc32(crcA: number, crcB: number, lengthB: number, polynomial: number): number {
  const powers = powersOf(polynomial);
  // x^(8·lengthB), from the powers x^(2^k) for the bits of 8·lengthB.
  let shift = 0x80000000;
  let n = BigInt(lengthB) * 8n;
  for (let k = 0; n > 0n; k += 1, n >>= 1n) {
    if (n & 1n) shift = multiplyModP(powers[k % 64] as number, shift, polynomial);
  }
  return (multiplyModP(shift, crcA >>> 0, polynomial) ^ (crcB >>> 0)) >>> 0;
}
