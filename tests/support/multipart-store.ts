import type { MultipartStore, UploadedPart } from "../../functions/s3/multipart";

/**
 * A multipart store that records what the handler asks of S3, in order, and answers with
 * `uploadId` and the given parts; refusals must happen before any call.
 */
export function recordingStore(parts: UploadedPart[] = [], uploadId = "UPLOAD-1") {
  const calls: string[] = [];
  const store: MultipartStore = {
    create: async (key, upload) => {
      calls.push(`create ${key} ${JSON.stringify(upload)}`);
      return uploadId;
    },
    listParts: async (key, id) => {
      calls.push(`list ${key} ${id}`);
      return parts;
    },
    checkUpload: async (key, id) => {
      calls.push(`check ${key} ${id}`);
    },
    complete: async (key, id, done, createOnly, size) => {
      calls.push(`complete ${key} ${id} ${JSON.stringify(done)} ${createOnly} ${size}`);
      return { etag: '"abc-2"' };
    },
    abort: async (key, id) => {
      calls.push(`abort ${key} ${id}`);
    },
  };
  return { store, calls };
}
