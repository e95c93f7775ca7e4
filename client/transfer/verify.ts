import { createHash, type Hash } from "node:crypto";
import { crc64ToBase64, type ObjectChecksum } from "../../functions/api/checksums";
import { PermanentError } from "../retry";
import { type Crc64, newCrc64 } from "./crc64-wasm";

/** The downloaded bytes differ from the checksum storage verified them against when they were written. */
export class ChecksumMismatch extends PermanentError {
  constructor(
    key: string,
    readonly algorithm: string,
    readonly expected: string,
    readonly computed: string,
  ) {
    super(
      `${key}: the downloaded bytes have ${algorithm} ${computed}, but the store's checksum is ${expected}; the download was discarded`,
      undefined,
      "ChecksumMismatch",
    );
  }
}

/** What a download's check found: `verified` only when the bytes were compared and matched. */
export interface Verdict {
  readonly verified: boolean;
  /** Why the bytes could not be compared, when they were not. */
  readonly note?: string;
}

/**
 * Checks a download against `object.checksum` as the bytes pass, in order (a resumed download
 * continues the same sum where the first attempt stopped). A FULL_OBJECT CRC64NVME or SHA-256 is
 * compared whole; a COMPOSITE checksum is a checksum of the parts' checksums, which cannot be
 * recomputed without the part sizes, so such a download is reported as not verified, not as wrong.
 */
export class DownloadCheck {
  private readonly crc?: Crc64;
  private readonly sha256?: Hash;
  private readonly unverifiable?: string;

  constructor(
    private readonly key: string,
    readonly checksum: ObjectChecksum | undefined,
  ) {
    if (!checksum) this.unverifiable = "the store reported no checksum for this object";
    else if (checksum.type !== "FULL_OBJECT") {
      this.unverifiable = `its checksum is ${checksum.type} (a checksum of its parts' checksums), which a download cannot recompute`;
    } else if (checksum.algorithm === "CRC64NVME") this.crc = newCrc64();
    else if (checksum.algorithm === "SHA256") this.sha256 = createHash("sha256");
    else
      this.unverifiable = `its checksum's algorithm ${String(checksum.algorithm)} is not one this client computes`;
  }

  update(chunk: Buffer): void {
    this.crc?.update(chunk);
    this.sha256?.update(chunk);
  }

  /** The verdict, or a ChecksumMismatch naming both values. */
  finish(): Verdict {
    const { checksum } = this;
    if (this.unverifiable !== undefined || !checksum)
      return { verified: false, note: this.unverifiable ?? "" };
    const computed = this.crc ? crc64ToBase64(this.crc.value()) : (this.sha256?.digest("base64") ?? "");
    if (computed !== checksum.value) {
      throw new ChecksumMismatch(this.key, checksum.algorithm, checksum.value, computed);
    }
    return { verified: true };
  }
}
