import { element, sendXml } from "../../../http/xml";
import { elementOf } from "../../checksums/algorithms";
import { IncompleteBodyError } from "../../store/durable-write";
import type { UploadRecord } from "../../store/multipart-uploads";
import { MAX_COPY_BYTES, resolveSource } from "../copy";
import { sendS3Error } from "../errors";
import { answerWriteFailure, header, type S3Call, type StorageContext } from "../request";

/**
 * UploadPartCopy: a part made of a source version's bytes, all of them or `x-amz-copy-source-range:
 * bytes=first-last` (both offsets inclusive and inside the source).
 */
export async function uploadPartCopy(
  ctx: StorageContext,
  call: S3Call,
  uploadId: string,
  partNumber: number,
  upload: UploadRecord,
): Promise<void> {
  const { req, res } = call;
  req.resume();
  const source = resolveSource(ctx, call);
  if (!source) return;
  const { version } = source;
  const rangeHeader = header(req, "x-amz-copy-source-range");
  let first = 0;
  let last = version.size - 1;
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
    if (!m) {
      sendS3Error(res, "InvalidArgument", {
        message:
          "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
      });
      return;
    }
    first = Number(m[1]);
    last = Number(m[2]);
    if (first > last || last >= version.size) {
      sendS3Error(res, "InvalidArgument", {
        message: `Range specified is not valid for source object of size: ${version.size}`,
      });
      return;
    }
  } else if (version.size > MAX_COPY_BYTES) {
    sendS3Error(res, "InvalidRequest", {
      message: `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`,
    });
    return;
  }
  const opened = await ctx.store.openVersion(version);
  if (!opened) {
    sendS3Error(res, "NoSuchKey", { details: { Key: version.key } });
    return;
  }
  try {
    const part = await ctx.uploads.putPart(
      uploadId,
      partNumber,
      opened.stream(first, last),
      // The part gets the upload's checksum, computed from the copied bytes as they pass ("the
      // checksum is recomputed with the mpu checksum algorithm", swift s3api tests run against AWS).
      { expectedLength: Math.max(0, last - first + 1), keep: upload.checksumAlgorithm ?? "CRC64NVME" },
      ctx.clock(),
    );
    if ("problem" in part) throw new Error("a copied part was refused");
    const algorithm = upload.checksumAlgorithm;
    sendXml(
      res,
      "CopyPartResult",
      element("LastModified", part.lastModified) +
        element("ETag", part.etag) +
        (algorithm && part.checksum ? element(elementOf(algorithm), part.checksum.value) : ""),
      {
        "x-amz-copy-source-version-id": version.versionId,
      },
    );
  } catch (error) {
    await opened.close();
    // Reading our own file short is our failure, not the client's.
    answerWriteFailure(ctx, call, error instanceof IncompleteBodyError ? new Error(error.message) : error, {
      uploadId,
      partNumber,
    });
  }
}
