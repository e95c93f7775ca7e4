import type { MultipartChecksum } from "../../functions/api/checksum-headers";
import type { ObjectChecksum } from "../../functions/api/checksums";
import type { MultipartStore, UploadedPart } from "../../functions/s3/multipart";

export interface RecordingOptions {
  /** The algorithm and type the upload was created with, as ListParts names them. */
  readonly checksum?: MultipartChecksum;
  /** What CompleteMultipartUpload answers as the object's checksum. */
  readonly completed?: ObjectChecksum;
}

/**
 * A multipart store that records what the handler asks of S3, in order, and answers with
 * `uploadId` and the given parts; refusals must happen before any call.
 */
export function recordingStore(
  parts: UploadedPart[] = [],
  uploadId = "UPLOAD-1",
  options: RecordingOptions = {},
) {
  const calls: string[] = [];
  const checksum = options.checksum ? { checksum: options.checksum } : {};
  const store: MultipartStore = {
    create: async (key, upload) => {
      calls.push(`create ${key} ${JSON.stringify(upload)}`);
      return uploadId;
    },
    listParts: async (key, id) => {
      calls.push(`list ${key} ${id}`);
      return { parts, ...checksum };
    },
    checkUpload: async (key, id) => {
      calls.push(`check ${key} ${id}`);
      return checksum;
    },
    complete: async (key, id, done, completion) => {
      calls.push(`complete ${key} ${id} ${JSON.stringify(done)} ${JSON.stringify(completion)}`);
      return { etag: '"abc-2"', ...(options.completed ? { checksum: options.completed } : {}) };
    },
    abort: async (key, id) => {
      calls.push(`abort ${key} ${id}`);
    },
  };
  return { store, calls };
}
