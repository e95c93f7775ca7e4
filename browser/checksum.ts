/** CRC64NVME of what an upload sends, and the check of what a download receives. */
import { Crc64Nvme, type ObjectChecksum, toBase64 } from "../functions/api/checksums";
import { SignedFileStoreError } from "./api";
import { Sha256 } from "./sha256";

/** Blobs are read this much at a time when they are summed without being kept. */
const SLICE_BYTES = 8 * 1024 ** 2;

/** A slice of a file read into memory, with the CRC64NVME of exactly those bytes. */
export interface ReadSlice {
  readonly bytes: Uint8Array;
  readonly crc: bigint;
}

/** Reads a blob (a part, a small file) once: the bytes to send and their CRC64NVME. */
export async function readWithCrc(blob: Blob): Promise<ReadSlice> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return { bytes, crc: new Crc64Nvme().update(bytes).value() };
}

/** The CRC64NVME of a blob too large to hold, read a slice at a time; `signal` stops it between slices. */
export async function crcOfBlob(blob: Blob, signal?: AbortSignal): Promise<bigint> {
  const crc = new Crc64Nvme();
  for (let offset = 0; offset < blob.size; offset += SLICE_BYTES) {
    signal?.throwIfAborted();
    crc.update(new Uint8Array(await blob.slice(offset, offset + SLICE_BYTES).arrayBuffer()));
  }
  return crc.value();
}

/** What a read's check found: `verified` only when the bytes were compared and matched. */
export interface ReadVerdict {
  readonly verified: boolean;
  /** Why the bytes could not be compared, when they were not. */
  readonly note?: string;
}

function hexToBase64(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return toBase64(bytes);
}

/**
 * Checks a download against the object's checksum as its bytes pass, in order. A FULL_OBJECT
 * CRC64NVME or SHA-256 is compared whole; a COMPOSITE checksum (a checksum of the parts' checksums)
 * cannot be recomputed without the part sizes, so such a read is reported as not verified.
 */
export class ReadCheck {
  private readonly crc?: Crc64Nvme;
  private readonly sha256?: Sha256;
  private readonly unverifiable?: string;

  constructor(
    private readonly key: string,
    readonly checksum: ObjectChecksum | undefined,
    skipped?: string,
  ) {
    if (skipped !== undefined) this.unverifiable = skipped;
    else if (!checksum) this.unverifiable = "the store reported no checksum for this object";
    else if (checksum.type !== "FULL_OBJECT") {
      this.unverifiable = `its checksum is ${checksum.type}, which a download cannot recompute`;
    } else if (checksum.algorithm === "CRC64NVME") this.crc = new Crc64Nvme();
    else if (checksum.algorithm === "SHA256") this.sha256 = new Sha256();
    else
      this.unverifiable = `its checksum's algorithm ${String(checksum.algorithm)} is not one the SDK computes`;
  }

  update(chunk: Uint8Array): void {
    this.crc?.update(chunk);
    this.sha256?.update(chunk);
  }

  /** The verdict, or a SignedFileStoreError ChecksumMismatch naming both values. */
  finish(): ReadVerdict {
    const checksum = this.checksum;
    if (this.unverifiable !== undefined || !checksum)
      return { verified: false, note: this.unverifiable ?? "" };
    const computed = this.crc ? this.crc.digest() : hexToBase64(this.sha256?.hex() ?? "");
    if (computed !== checksum.value) {
      throw new SignedFileStoreError(
        0,
        "ChecksumMismatch",
        `${this.key}: the downloaded bytes have ${checksum.algorithm} ${computed}, but the store's checksum is ${checksum.value}`,
      );
    }
    return { verified: true };
  }
}
