import { childElements, childTexts } from "../../../../functions/http/xml-text";
import { element, sendXml } from "../../../http/xml";
import type { CompletedUpload, UploadRecord } from "../../store/multipart-uploads";
import type { InstallCondition } from "../../store/object-store";
import { checksumElements } from "../checksum-headers";
import { sendS3Error } from "../errors";
import { answerRefusal, writeCondition } from "../objects";
import {
  answerWriteFailure,
  fromXml,
  readXmlBody,
  type S3Call,
  type StorageContext,
  xmlDocument,
} from "../request";
import {
  checkParts,
  checkRequest,
  checkWholeObject,
  INVALID_PART,
  invalidPart,
  objectChecksum,
  partChecksums,
  type Refusal,
  type RequestedPart,
} from "./complete-checksums";

const COMPLETE_MESSAGES = {
  InvalidPart: INVALID_PART,
  InvalidPartOrder: "The list of parts was not in ascending order.",
  EntityTooSmall: "Your proposed upload is smaller than the minimum allowed object size.",
} as const;

const bare = (etag: string) => etag.replace(/"/g, "");

type NamedPart = Pick<RequestedPart, "partNumber" | "etag">;

function sameParts(a: readonly NamedPart[], b: readonly NamedPart[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.partNumber === b[i]?.partNumber && bare(p.etag) === bare(b[i]?.etag ?? ""))
  );
}

function sendRefusal(res: S3Call["res"], refusal: Refusal): void {
  sendS3Error(res, refusal.code, {
    message: refusal.message,
    ...(refusal.details ? { details: refusal.details } : {}),
  });
}

function answerCompleted(_ctx: StorageContext, call: S3Call, done: CompletedUpload): void {
  sendXml(call.res, "CompleteMultipartUploadResult", done.answer, { "x-amz-version-id": done.versionId });
}

/**
 * CompleteMultipartUpload. The parts' files become the new version's files by hard links (the
 * version is a list of them, read in order), so completion takes the same time for any size. With
 * `x-amz-mp-object-size`, parts that add up to another size are 400 InvalidRequest and nothing is
 * completed (Amazon S3 API Reference, "CompleteMultipartUpload").
 *
 * An upload is completed once. Completions of one upload take turns from their check of the upload
 * to the record of its result; the first creates the version, and any later one that names the
 * same parts (a retry after a lost answer, or the losers of a race) gets the same answer again and
 * creates nothing, as S3 answers a repeated CompleteMultipartUpload (ceph/s3-tests#739 and
 * adobe/S3Mock#2586, recorded against S3). One that names other parts gets 404 NoSuchUpload, which
 * the API Reference documents for "an upload that might have been aborted or completed".
 */
export async function completeUpload(ctx: StorageContext, call: S3Call, uploadId: string): Promise<void> {
  const { res, key } = call;
  const body = await readXmlBody(call, 4 * 1024 * 1024);
  if (body === undefined) return;
  const xml = xmlDocument(res, body);
  if (xml === undefined) return;
  if (!xml.includes("<CompleteMultipartUpload")) {
    sendS3Error(res, "MalformedXML");
    return;
  }
  const requested = fromXml(res, () =>
    childElements(xml, "Part").map(
      (part): RequestedPart => ({
        partNumber: Number(childTexts(part, "PartNumber")[0] ?? "0"),
        etag: childTexts(part, "ETag")[0] ?? "",
        checksums: partChecksums((name) => childTexts(part, name)[0]),
      }),
    ),
  );
  if (requested === undefined) return;
  const condition = writeCondition(call);
  if (condition === "NotImplemented") {
    sendS3Error(res, "NotImplemented");
    return;
  }
  await ctx.uploads.exclusive(uploadId, async () => {
    const upload = await ctx.uploads.get(uploadId, key);
    if (!upload) {
      const done = await ctx.uploads.completed(uploadId, key);
      if (done && sameParts(done.parts, requested)) answerCompleted(ctx, call, done);
      else sendS3Error(res, "NoSuchUpload");
      return;
    }
    await completeOnce(ctx, call, uploadId, upload, requested, condition);
  });
}

async function completeOnce(
  ctx: StorageContext,
  call: S3Call,
  uploadId: string,
  upload: UploadRecord,
  requested: readonly RequestedPart[],
  condition: InstallCondition | undefined,
): Promise<void> {
  const { res, key } = call;
  const early = condition?.(ctx.store.current(key));
  if (early) {
    answerRefusal(res, early, key);
    return;
  }
  const refusal = checkRequest(call.req, upload, uploadId, requested);
  if (refusal) {
    sendRefusal(res, refusal);
    return;
  }
  const chosen = await ctx.uploads.chooseParts(uploadId, requested);
  if ("problem" in chosen) {
    const named = chosen.at === undefined ? undefined : requested[chosen.at];
    if (named) sendRefusal(res, invalidPart(uploadId, named));
    else sendS3Error(res, chosen.problem, { message: COMPLETE_MESSAGES[chosen.problem] });
    return;
  }
  const checksum = objectChecksum(upload, chosen);
  const problem =
    checkParts(upload, uploadId, requested, chosen) ?? checkWholeObject(call.req, upload, checksum);
  if (problem) {
    sendRefusal(res, problem);
    return;
  }
  const assembled = chosen.reduce((sum, p) => sum + p.size, 0);
  const expected = call.req.headers["x-amz-mp-object-size"];
  if (expected !== undefined && Number(expected) !== assembled) {
    sendS3Error(res, "InvalidRequest", {
      message: `The provided 'x-amz-mp-object-size' header value ${expected} does not match what was computed: ${assembled}`,
    });
    return;
  }
  const staged = await ctx.store.stage();
  let installed: Awaited<ReturnType<typeof ctx.store.install>>;
  try {
    const linked = await ctx.uploads.linkParts(uploadId, chosen, staged.dir, checksum?.algorithm);
    const {
      key: _key,
      initiated: _initiated,
      checksumAlgorithm: _a,
      checksumType: _t,
      ...attributes
    } = upload;
    installed = await ctx.store.install(
      key,
      staged,
      { ...attributes, etag: linked.etag, files: linked.files, ...(checksum ? { checksum } : {}) },
      condition ? { condition } : {},
    );
  } catch (error) {
    await ctx.store.discard(staged);
    answerWriteFailure(ctx, call, error, { key, uploadId });
    return;
  }
  if ("refused" in installed) {
    answerRefusal(res, installed.refused, key);
    return;
  }
  const done: CompletedUpload = {
    key,
    initiated: upload.initiated,
    parts: requested.map((p) => ({ partNumber: p.partNumber, etag: bare(p.etag) })),
    versionId: installed.versionId,
    etag: installed.etag,
    answer:
      element("Location", `/${ctx.bucket}/${key}`) +
      element("Bucket", ctx.bucket) +
      element("Key", key) +
      element("ETag", installed.etag) +
      checksumElements(installed.checksum),
  };
  await ctx.uploads.markCompleted(uploadId, done);
  answerCompleted(ctx, call, done);
}
