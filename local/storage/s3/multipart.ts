import { element, sendXml } from "../../http/xml";
import { IncompleteBodyError } from "../store/durable-write";
import { sendS3Error } from "./errors";
import {
  answerWriteFailure,
  attributesFrom,
  contentMd5Problem,
  declaredLength,
  refuseWithoutLength,
  type S3Call,
  type StorageContext,
} from "./request";

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

export async function createUpload(ctx: StorageContext, call: S3Call): Promise<void> {
  call.req.resume();
  const uploadId = await ctx.uploads.create({
    key: call.key,
    ...attributesFrom(call.req),
    initiated: ctx.clock().toISOString(),
  });
  sendXml(
    call.res,
    "InitiateMultipartUploadResult",
    element("Bucket", ctx.bucket) + element("Key", call.key) + element("UploadId", uploadId),
  );
}

/** UploadPart's partNumber: an integer from 1 to 10,000, or S3's 400 (then undefined). */
export function partNumberParam(call: S3Call): number | undefined {
  const partNumber = Number(call.query.get("partNumber"));
  if (Number.isInteger(partNumber) && partNumber >= 1 && partNumber <= 10000) return partNumber;
  call.req.resume();
  sendS3Error(call.res, "InvalidArgument", {
    message: "Part number must be an integer between 1 and 10000, inclusive",
    details: { ArgumentName: "partNumber", ArgumentValue: call.query.get("partNumber") ?? "" },
  });
  return undefined;
}

export async function uploadPart(
  ctx: StorageContext,
  call: S3Call,
  uploadId: string,
  partNumber: number,
): Promise<void> {
  if (refuseWithoutLength(call)) return;
  const { req, res } = call;
  const length = declaredLength(req);
  try {
    const part = await ctx.uploads.putPart(
      uploadId,
      partNumber,
      req,
      {
        ...(length === undefined ? {} : { expectedLength: length }),
        sha256: call.bodySha256 !== undefined,
        verify: (written) =>
          call.bodySha256 !== undefined && written.sha256 !== call.bodySha256
            ? "XAmzContentSHA256Mismatch"
            : contentMd5Problem(req, written.md5),
      },
      ctx.clock(),
    );
    if ("problem" in part) {
      sendS3Error(res, part.problem as "BadDigest");
      return;
    }
    res.writeHead(200, { etag: part.etag, "content-length": 0 }).end();
  } catch (error) {
    // The upload was completed or aborted while the part was on its way.
    if (isMissing(error) && !(error instanceof IncompleteBodyError)) {
      req.resume();
      sendS3Error(res, "NoSuchUpload");
      return;
    }
    answerWriteFailure(ctx, call, error, { uploadId, partNumber });
  }
}

export async function listParts(ctx: StorageContext, call: S3Call, uploadId: string): Promise<void> {
  call.req.resume();
  const maxParts = Math.min(Number(call.query.get("max-parts") ?? "1000") || 1000, 1000);
  const marker = Number(call.query.get("part-number-marker") ?? "0") || 0;
  let all: Awaited<ReturnType<typeof ctx.uploads.listParts>>;
  try {
    all = (await ctx.uploads.listParts(uploadId)).filter((p) => p.partNumber > marker);
  } catch (error) {
    if (!isMissing(error)) throw error;
    sendS3Error(call.res, "NoSuchUpload");
    return;
  }
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const last = page.at(-1)?.partNumber ?? marker;
  sendXml(
    call.res,
    "ListPartsResult",
    element("Bucket", ctx.bucket) +
      element("Key", call.key) +
      element("UploadId", uploadId) +
      element("PartNumberMarker", marker) +
      element("NextPartNumberMarker", last) +
      element("MaxParts", maxParts) +
      element("IsTruncated", truncated) +
      page
        .map(
          (p) =>
            `<Part>${element("PartNumber", p.partNumber)}${element("LastModified", p.lastModified)}${element("ETag", p.etag)}${element("Size", p.size)}</Part>`,
        )
        .join(""),
  );
}

export async function abortUpload(ctx: StorageContext, call: S3Call, uploadId: string): Promise<void> {
  call.req.resume();
  await ctx.uploads.remove(uploadId);
  call.res.writeHead(204).end();
}
