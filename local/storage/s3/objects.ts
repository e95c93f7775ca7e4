import type { ServerResponse } from "node:http";
import * as path from "node:path";
import { type DurableWriteResult, writeDurably } from "../store/durable-write";
import { type InstallCondition, isVersionId, type ObjectVersion } from "../store/object-store";
import { checksumHeaders, type GivenChecksum, givenChecksum, isRefusal, mismatch } from "./checksum-headers";
import { type S3ErrorCode, sendS3Error } from "./errors";
import {
  answerWriteFailure,
  attributesFrom,
  contentMd5Problem,
  declaredLength,
  etagMatches,
  header,
  httpDate,
  refuseWithoutLength,
  type S3Call,
  type StorageContext,
} from "./request";

/** The `versionId` query parameter: absent, valid, or answered with S3's 400 (returns "answered"). */
export function versionIdParam(call: S3Call): string | null | "answered" {
  const versionId = call.query.get("versionId");
  if (versionId === null || isVersionId(versionId)) return versionId;
  call.req.resume();
  sendS3Error(call.res, "InvalidArgument", {
    message: "Invalid version id specified",
    details: { ArgumentName: "versionId", ArgumentValue: versionId },
  });
  return "answered";
}

/**
 * The version a read names: the current one, or `versionId`'s. Answers S3's errors itself and
 * resolves undefined then: NoSuchKey for a missing key or one whose current version is a delete
 * marker (with `x-amz-delete-marker: true`), NoSuchVersion for an unknown version, and 405
 * MethodNotAllowed for a version that is a delete marker (GetObject, HeadObject: "If the specified
 * version in the request is a delete marker, the response returns a 405 Method Not Allowed error
 * and the Last-Modified: timestamp response header"). A caller without s3:ListBucket gets 403
 * AccessDenied where the key has no object, as S3 answers it.
 */
export function readableVersion(
  ctx: StorageContext,
  call: S3Call,
  versionId: string | null,
): ObjectVersion | undefined {
  const { res, key } = call;
  const entry = versionId === null ? ctx.store.current(key) : ctx.store.version(key, versionId);
  if ((!entry || (entry.deleteMarker && versionId === null)) && !call.mayList) {
    sendS3Error(res, "AccessDenied");
    return undefined;
  }
  if (!entry) {
    if (versionId === null) sendS3Error(res, "NoSuchKey", { details: { Key: key } });
    else sendS3Error(res, "NoSuchVersion", { details: { Key: key, VersionId: versionId } });
    return undefined;
  }
  if (!entry.deleteMarker) return entry;
  const headers = {
    "x-amz-delete-marker": "true",
    "x-amz-version-id": entry.versionId,
    "last-modified": httpDate(entry.lastModified),
  };
  if (versionId === null) sendS3Error(res, "NoSuchKey", { headers, details: { Key: key } });
  else sendS3Error(res, "MethodNotAllowed", { headers: { ...headers, allow: "DELETE" } });
  return undefined;
}

/**
 * PutObject's conditional writes: `If-None-Match: *` fails when the key has a current object (a
 * delete marker does not count), `If-Match` when the current ETag differs or there is none
 * ("Add preconditions to S3 operations with conditional requests").
 */
export function writeCondition(call: S3Call): InstallCondition | "NotImplemented" | undefined {
  const ifNoneMatch = header(call.req, "if-none-match");
  const ifMatch = header(call.req, "if-match");
  if (ifNoneMatch !== undefined && ifNoneMatch !== "*") return "NotImplemented";
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  return (current) => {
    const object = current && !current.deleteMarker ? current : undefined;
    if (ifNoneMatch !== undefined && object) return "PreconditionFailed";
    if (ifMatch !== undefined) {
      if (!object) return "NoSuchKey";
      if (!etagMatches(ifMatch, object.etag)) return "PreconditionFailed";
    }
    return undefined;
  };
}

/** Answers a condition's refusal; `code` is one of those `writeCondition` returns. */
export function answerRefusal(res: ServerResponse, code: string, key: string): void {
  if (code === "NoSuchKey") sendS3Error(res, "NoSuchKey", { details: { Key: key } });
  else sendS3Error(res, "PreconditionFailed");
}

/**
 * What is wrong with a written body, if anything, in S3's order: not the body that was signed
 * (x-amz-content-sha256), then Content-MD5, then the given checksum.
 */
export function bodyProblem(
  call: S3Call,
  written: DurableWriteResult,
  given: GivenChecksum | undefined,
): { code: S3ErrorCode; message?: string } | undefined {
  if (call.bodySha256 !== undefined && written.sha256 !== call.bodySha256) {
    return { code: "XAmzContentSHA256Mismatch" };
  }
  const md5 = contentMd5Problem(call.req, written.md5);
  if (md5) return { code: md5 };
  if (given && written.checksums[given.algorithm] !== given.value) return mismatch(given.algorithm);
  return undefined;
}

/**
 * PutObject: a new version, current once its bytes are durable and checked. The checksum the client
 * gives (`x-amz-checksum-<algorithm>`) is computed as the bytes stream to disk, in the same pass as
 * the MD5; without one, S3's default, CRC64NVME, is computed and kept ("Checking object integrity
 * for data uploads in Amazon S3": "if objects are uploaded without a checksum, S3 automatically
 * attaches the recommended full object CRC-64/NVME (CRC64NVME) checksum algorithm"). A PutObject
 * checksum is always FULL_OBJECT.
 */
export async function putObject(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res, key } = call;
  if (refuseWithoutLength(call)) return;
  const condition = writeCondition(call);
  if (condition === "NotImplemented") {
    req.resume();
    sendS3Error(res, "NotImplemented");
    return;
  }
  const given = givenChecksum(req);
  if (isRefusal(given)) {
    req.resume();
    sendS3Error(res, given.code, { message: given.message });
    return;
  }
  // Checked before the body is read, and again when the version is installed.
  const early = condition?.(ctx.store.current(key));
  if (early) {
    req.resume();
    answerRefusal(res, early, key);
    return;
  }
  const algorithm = given?.algorithm ?? "CRC64NVME";
  const staged = await ctx.store.stage();
  let written: Awaited<ReturnType<typeof writeDurably>>;
  try {
    written = await writeDurably(req, path.join(staged.dir, "data"), {
      ...(declaredLength(req) === undefined ? {} : { expectedLength: declaredLength(req) }),
      sha256: call.bodySha256 !== undefined,
      checksums: [algorithm],
      fault: ctx.store.fault,
    });
  } catch (error) {
    await ctx.store.discard(staged);
    answerWriteFailure(ctx, call, error, { key });
    return;
  }
  const value = written.checksums[algorithm] ?? "";
  const problem = bodyProblem(call, written, given);
  if (problem) {
    await ctx.store.discard(staged);
    sendS3Error(res, problem.code, problem.message === undefined ? {} : { message: problem.message });
    return;
  }
  const etag = `"${written.md5}"`;
  const checksum = { algorithm, type: "FULL_OBJECT", value } as const;
  let installed: Awaited<ReturnType<typeof ctx.store.install>>;
  try {
    installed = await ctx.store.install(
      key,
      staged,
      { ...attributesFrom(req), etag, files: [{ file: "data", size: written.size }], checksum },
      condition ? { condition } : {},
    );
  } catch (error) {
    answerWriteFailure(ctx, call, error, { key });
    return;
  }
  if ("refused" in installed) {
    answerRefusal(res, installed.refused, key);
    return;
  }
  res
    .writeHead(200, {
      etag,
      "x-amz-version-id": installed.versionId,
      ...checksumHeaders(checksum),
      "content-length": 0,
    })
    .end();
}

/**
 * DeleteObject on a versioned bucket: without a version ID it adds a delete marker (even when the
 * key has no object, as S3 does) and answers its ID; with one it removes that version for good,
 * saying whether it was a delete marker. Deleting a version that does not exist succeeds.
 */
export async function deleteObject(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res, key } = call;
  req.resume();
  const versionId = versionIdParam(call);
  if (versionId === "answered") return;
  if (versionId === null) {
    // If-Match: the delete happens only while the current version has that ETag (Amazon S3 User
    // Guide, "How to perform conditional deletes").
    const condition = writeCondition(call);
    if (condition === "NotImplemented") {
      sendS3Error(res, "NotImplemented");
      return;
    }
    const marker = await ctx.store.addDeleteMarker(key, condition);
    if ("refused" in marker) {
      answerRefusal(res, marker.refused, key);
      return;
    }
    res.writeHead(204, { "x-amz-delete-marker": "true", "x-amz-version-id": marker.versionId }).end();
    return;
  }
  const removed = await ctx.store.deleteVersion(key, versionId);
  res
    .writeHead(204, {
      "x-amz-version-id": versionId,
      ...(removed?.deleteMarker ? { "x-amz-delete-marker": "true" } : {}),
    })
    .end();
}
