import { PayloadTooLarge } from "../api/http-error";
import { partSizeFor, S3_LIMITS, type UploadDescription, type UploadLimits } from "../api/upload-rules";
import type { CompletedPart, MultipartStore } from "../s3/multipart";

/** A JSON answer that is the result itself rather than a transfer to make. */
export interface JsonResult {
  readonly status: number;
  readonly body?: unknown;
}

/** The multipart calls the function makes to S3 itself: create, list the stored parts, complete. */
export function createMultipartRoutes(multipart: MultipartStore, limits: UploadLimits) {
  async function create(key: string, upload: UploadDescription): Promise<JsonResult> {
    const uploadId = await multipart.create(key, upload);
    return {
      status: 200,
      body: { uploadId, key, partSize: partSizeFor(upload.length, limits), maxParts: S3_LIMITS.maxParts },
    };
  }

  async function listParts(key: string, uploadId: string): Promise<JsonResult> {
    const parts = await multipart.listParts(key, uploadId);
    return { status: 200, body: { uploadId, key, parts } };
  }

  async function complete(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    createOnlyUpload: boolean,
    location: string,
  ): Promise<JsonResult> {
    // S3 cannot cap a multipart upload's total size in advance, so the sum is checked here, before
    // the object exists; an oversized upload is aborted so its parts stop costing storage.
    const uploaded = new Map((await multipart.listParts(key, uploadId)).map((p) => [p.partNumber, p]));
    const size = parts.reduce((sum, p) => sum + (uploaded.get(p.partNumber)?.size ?? 0), 0);
    if (size > limits.maxUploadBytes) {
      await multipart.abort(key, uploadId);
      throw new PayloadTooLarge(
        `the upload is ${size} bytes; this store accepts at most ${limits.maxUploadBytes} bytes, so it was aborted`,
      );
    }
    const { etag } = await multipart.complete(key, uploadId, parts, createOnlyUpload, size);
    return { status: 200, body: { key, etag, size, location } };
  }

  return { create, listParts, complete };
}
