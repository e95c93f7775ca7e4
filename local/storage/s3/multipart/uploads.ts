import { element, sendXml } from "../../../http/xml";
import {
  type Algorithm,
  type ChecksumType,
  elementOf,
  headerOf,
  isAlgorithm,
  isCrc,
} from "../../checksums/algorithms";
import { IncompleteBodyError } from "../../store/durable-write";
import type { UploadRecord } from "../../store/multipart-uploads";
import { givenChecksum, isRefusal, UNSUPPORTED_ALGORITHM } from "../checksum-headers";
import { sendS3Error } from "../errors";
import { bodyProblem } from "../objects";
import {
  answerWriteFailure,
  attributesFrom,
  declaredLength,
  header,
  refuseWithoutLength,
  type S3Call,
  type StorageContext,
} from "../request";

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/**
 * CreateMultipartUpload's checksum: `x-amz-checksum-algorithm` with the type it implies, or the
 * one `x-amz-checksum-type` names, as S3 allows them ("Checking object integrity for data uploads",
 * "Multipart uploads": CRC64NVME is FULL_OBJECT only, SHA1 and SHA256 COMPOSITE only, the CRC32s
 * either; without a type, CRC64NVME is FULL_OBJECT and the others COMPOSITE). Refusals with the
 * messages S3 answered in localstack's AWS-validated snapshots.
 */
function uploadChecksum(
  req: S3Call["req"],
): { algorithm?: Algorithm; type?: ChecksumType } | { code: "InvalidRequest"; message: string } {
  const algorithmText = header(req, "x-amz-checksum-algorithm");
  const typeText = header(req, "x-amz-checksum-type");
  const refuse = (message: string) => ({ code: "InvalidRequest" as const, message });
  if (algorithmText === undefined) {
    return typeText === undefined
      ? {}
      : refuse("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
  }
  if (algorithmText.includes(","))
    return refuse("Invalid types are specified in x-amz-checksum-algorithm header.");
  const algorithm = algorithmText.trim().toUpperCase();
  if (!isAlgorithm(algorithm)) return refuse(UNSUPPORTED_ALGORITHM);
  if (typeText !== undefined && typeText !== "FULL_OBJECT" && typeText !== "COMPOSITE") {
    return refuse("Value for x-amz-checksum-type header is invalid.");
  }
  const type: ChecksumType = typeText ?? (algorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
  if (type === "COMPOSITE" && algorithm === "CRC64NVME") {
    return refuse("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.");
  }
  if (type === "FULL_OBJECT" && !isCrc(algorithm)) {
    return refuse(
      `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`,
    );
  }
  return { algorithm, type };
}

export async function createUpload(ctx: StorageContext, call: S3Call): Promise<void> {
  call.req.resume();
  const checksum = uploadChecksum(call.req);
  if ("code" in checksum) {
    sendS3Error(call.res, checksum.code, { message: checksum.message });
    return;
  }
  const uploadId = await ctx.uploads.create({
    key: call.key,
    ...attributesFrom(call.req),
    initiated: ctx.clock().toISOString(),
    ...(checksum.algorithm ? { checksumAlgorithm: checksum.algorithm, checksumType: checksum.type } : {}),
  });
  sendXml(
    call.res,
    "InitiateMultipartUploadResult",
    element("Bucket", ctx.bucket) + element("Key", call.key) + element("UploadId", uploadId),
    checksum.algorithm && checksum.type
      ? { "x-amz-checksum-algorithm": checksum.algorithm, "x-amz-checksum-type": checksum.type }
      : {},
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

/**
 * UploadPart. An upload created with an algorithm needs each part's checksum in it: without one,
 * or with another algorithm's, S3 answers 400 InvalidRequest "Checksum Type mismatch occurred,
 * expected checksum Type: sha256, actual checksum Type: null". A part's checksum is checked as its
 * bytes go to disk (mismatch: 400 BadDigest, nothing stored, no part listed) and kept in its record;
 * an upload without an algorithm keeps each part's CRC64NVME, from which S3's default full-object
 * checksum is combined at completion, whatever checksum the part was sent with.
 */
export async function uploadPart(
  ctx: StorageContext,
  call: S3Call,
  uploadId: string,
  partNumber: number,
  upload: UploadRecord,
): Promise<void> {
  if (refuseWithoutLength(call)) return;
  const { req, res } = call;
  const given = givenChecksum(req);
  const expected = upload.checksumAlgorithm;
  const refusal = isRefusal(given)
    ? given
    : expected !== undefined && given?.algorithm !== expected
      ? {
          code: "InvalidRequest" as const,
          message: `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${given?.algorithm.toLowerCase() ?? "null"}`,
        }
      : undefined;
  if (refusal) {
    req.resume();
    sendS3Error(res, refusal.code, { message: refusal.message });
    return;
  }
  const checked = isRefusal(given) ? undefined : given;
  const length = declaredLength(req);
  try {
    const part = await ctx.uploads.putPart(
      uploadId,
      partNumber,
      req,
      {
        ...(length === undefined ? {} : { expectedLength: length }),
        sha256: call.bodySha256 !== undefined,
        keep: expected ?? "CRC64NVME",
        checksums: checked ? [checked.algorithm] : [],
        verify: (written) => bodyProblem(call, written, checked),
      },
      ctx.clock(),
    );
    if ("problem" in part) {
      sendS3Error(
        res,
        part.problem.code,
        part.problem.message === undefined ? {} : { message: part.problem.message },
      );
      return;
    }
    res
      .writeHead(200, {
        etag: part.etag,
        // "This will only be present if the checksum was provided in the request" (UploadPart).
        ...(checked ? { [headerOf(checked.algorithm)]: checked.value } : {}),
        "content-length": 0,
      })
      .end();
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

/**
 * ListParts; for an upload created with an algorithm, its `ChecksumAlgorithm` and `ChecksumType`
 * and each part's checksum (an upload without one lists none, as S3 does).
 */
export async function listParts(
  ctx: StorageContext,
  call: S3Call,
  uploadId: string,
  upload: UploadRecord,
): Promise<void> {
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
  const algorithm = upload.checksumAlgorithm;
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
      (algorithm && upload.checksumType
        ? element("ChecksumAlgorithm", algorithm) + element("ChecksumType", upload.checksumType)
        : "") +
      page
        .map((p) => {
          const checksum =
            algorithm && p.checksum?.algorithm === algorithm
              ? element(elementOf(algorithm), p.checksum.value)
              : "";
          return `<Part>${element("PartNumber", p.partNumber)}${element("LastModified", p.lastModified)}${element("ETag", p.etag)}${element("Size", p.size)}${checksum}</Part>`;
        })
        .join(""),
  );
}

export async function abortUpload(ctx: StorageContext, call: S3Call, uploadId: string): Promise<void> {
  call.req.resume();
  await ctx.uploads.remove(uploadId);
  call.res.writeHead(204).end();
}
