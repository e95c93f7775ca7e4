import type { DeclaredChecksum, MultipartChecksum } from "../api/checksum-headers";
import { CHECKSUM_HEADERS, isChecksumValue } from "../api/checksums";
import { BadRequest, PayloadTooLarge } from "../api/http-error";
import { partSizeFor, S3_LIMITS, type UploadDescription, type UploadLimits } from "../api/upload-rules";
import type { MultipartStore } from "../s3/multipart";
import type { NamedPart } from "./complete-body";

/** A JSON answer that is the result itself rather than a transfer to make. */
export interface JsonResult {
  readonly status: number;
  readonly body?: unknown;
}

const checksumFields = (checksum: MultipartChecksum | undefined) =>
  checksum ? { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type } : {};

/**
 * The parts' checksums, checked against the upload's algorithm before S3 is asked, so that the
 * answer names the part: S3 itself refuses a COMPOSITE completion without every part's checksum.
 * An upload with no algorithm (none was asked for, or the storage names none: radosgw before Ceph
 * 20 keeps no checksums) takes none: S3 would refuse part checksums (InvalidPart) and ignore the
 * whole object's, so neither is sent.
 */
function checkCompletionChecksums(
  parts: readonly NamedPart[],
  upload: MultipartChecksum | undefined,
  whole: DeclaredChecksum | undefined,
): void {
  const invalid = (message: string) => new BadRequest("InvalidChecksum", message);
  if (!upload) return;
  const { algorithm, type } = upload;
  if (whole && whole.algorithm !== algorithm) {
    throw invalid(
      `this upload was created with ${algorithm}: send ${CHECKSUM_HEADERS[algorithm]}, not ${CHECKSUM_HEADERS[whole.algorithm]}`,
    );
  }
  parts.forEach((p, i) => {
    if (p.checksum === undefined) {
      if (type === "COMPOSITE")
        throw invalid(`parts[${i}].checksum is required: this upload was created with ${algorithm}`);
      return;
    }
    if (
      (p.checksumAlgorithm !== undefined && p.checksumAlgorithm !== algorithm) ||
      !isChecksumValue(algorithm, p.checksum)
    ) {
      throw invalid(
        `parts[${i}].checksum must be the part's ${algorithm} in base64, as this upload was created with`,
      );
    }
  });
}

/** The multipart calls the function makes to S3 itself: create, list the stored parts, complete. */
export function createMultipartRoutes(multipart: MultipartStore, limits: UploadLimits) {
  async function create(key: string, upload: UploadDescription): Promise<JsonResult> {
    const uploadId = await multipart.create(key, upload);
    return {
      status: 200,
      body: {
        uploadId,
        key,
        partSize: partSizeFor(upload.length, limits),
        maxParts: S3_LIMITS.maxParts,
        ...checksumFields(upload.multipartChecksum),
      },
    };
  }

  async function listParts(key: string, uploadId: string): Promise<JsonResult> {
    const { parts, checksum } = await multipart.listParts(key, uploadId);
    return { status: 200, body: { uploadId, key, ...checksumFields(checksum), parts } };
  }

  async function complete(
    key: string,
    uploadId: string,
    parts: readonly NamedPart[],
    createOnlyUpload: boolean,
    whole: DeclaredChecksum | undefined,
    location: string,
  ): Promise<JsonResult> {
    // S3 cannot cap a multipart upload's total size in advance, so the sum is checked here, before
    // the object exists; an oversized upload is aborted so its parts stop costing storage.
    const state = await multipart.listParts(key, uploadId);
    const uploaded = new Map(state.parts.map((p) => [p.partNumber, p]));
    const size = parts.reduce((sum, p) => sum + (uploaded.get(p.partNumber)?.size ?? 0), 0);
    if (size > limits.maxUploadBytes) {
      await multipart.abort(key, uploadId);
      throw new PayloadTooLarge(
        `the upload is ${size} bytes; this store accepts at most ${limits.maxUploadBytes} bytes, so it was aborted`,
      );
    }
    checkCompletionChecksums(parts, state.checksum, whole);
    const checksum = state.checksum;
    const done = await multipart.complete(
      key,
      uploadId,
      parts.map(({ checksumAlgorithm: _, checksum: partChecksum, ...p }) =>
        checksum && partChecksum !== undefined ? { ...p, checksum: partChecksum } : p,
      ),
      {
        createOnly: createOnlyUpload,
        size,
        ...(checksum ? { checksum } : {}),
        ...(checksum && whole ? { whole } : {}),
      },
    );
    return {
      status: 200,
      body: { key, etag: done.etag, size, location, ...(done.checksum ? { checksum: done.checksum } : {}) },
    };
  }

  return { create, listParts, complete };
}
