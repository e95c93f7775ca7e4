import type { ObjectChecksum } from "../functions/api/checksums";

export interface UploadOptions {
  /** Stored as the object's Content-Type; default the file's own type, else application/octet-stream. */
  readonly contentType?: string;
  /** The file name downloads are saved under (Content-Disposition); default the File's name. */
  readonly downloadName?: string;
  /** Fail with 412 PreconditionFailed if the key already holds an object (If-None-Match: *). */
  readonly createOnly?: boolean;
  /** Files at least this large go in parts; default 8 MiB. */
  readonly multipartFrom?: number;
  /** Parts in flight at once, and parts signed per API request; default 4. */
  readonly parallelParts?: number;
  /** Where multipart uploads are remembered for a resume after a reload; default localStorage. */
  readonly storage?: Storage;
  readonly onProgress?: (progress: UploadProgress) => void;
}

export interface UploadProgress {
  readonly phase: "uploading";
  readonly bytes: number;
  readonly total: number;
}

export interface UploadResult {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** The CRC64NVME of the bytes sent, which storage verified them against. */
  readonly checksum: ObjectChecksum;
  readonly versionId?: string;
  /** 0 for a single PUT. */
  readonly parts: number;
  /** Parts found already stored, from an earlier run or page load. */
  readonly resumedParts: number;
}
