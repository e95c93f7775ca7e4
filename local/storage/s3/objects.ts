import type { ServerResponse } from "node:http";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseRange } from "../../http/byte-range";
import { writeDurably } from "../store/durable-write";
import { type InstallCondition, isVersionId, type ObjectVersion } from "../store/object-store";
import { sendS3Error } from "./errors";
import {
  answerWriteFailure,
  attributeHeaders,
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

/** GetObject's query parameters that replace a stored header in the answer ("Overriding response header values"). */
const RESPONSE_OVERRIDES = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
} as const;

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

/** GetObject's conditional headers, in S3's precedence; the status to answer instead, if any. */
function conditionalStatus(call: S3Call, version: ObjectVersion): 304 | 412 | undefined {
  const seconds = (d: string) => Math.floor(new Date(d).getTime() / 1000);
  const modified = seconds(version.lastModified);
  const ifMatch = header(call.req, "if-match");
  const ifUnmodifiedSince = header(call.req, "if-unmodified-since");
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, version.etag)) return 412;
  } else if (ifUnmodifiedSince !== undefined && modified > seconds(ifUnmodifiedSince)) {
    return 412;
  }
  const ifNoneMatch = header(call.req, "if-none-match");
  const ifModifiedSince = header(call.req, "if-modified-since");
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, version.etag)) return 304;
  } else if (ifModifiedSince !== undefined && modified <= seconds(ifModifiedSince)) {
    return 304;
  }
  return undefined;
}

/** GetObject and HeadObject, of the current version or of `?versionId=`. Unknown query parameters are ignored, as S3 ignores them. */
export async function getObject(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res, key, query } = call;
  req.resume();
  const versionId = versionIdParam(call);
  if (versionId === "answered") return;
  // A version removed between the lookup and the open is looked up again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const version = readableVersion(ctx, call, versionId);
    if (!version) return;
    const headers: Record<string, string | number> = {
      etag: version.etag,
      "last-modified": httpDate(version.lastModified),
      "accept-ranges": "bytes",
      "x-amz-version-id": version.versionId,
      ...attributeHeaders(version),
    };
    const conditional = conditionalStatus(call, version);
    if (conditional === 304) {
      res
        .writeHead(304, {
          etag: version.etag,
          "last-modified": httpDate(version.lastModified),
          "x-amz-version-id": version.versionId,
        })
        .end();
      return;
    }
    if (conditional === 412) {
      sendS3Error(res, "PreconditionFailed");
      return;
    }
    for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = query.get(param);
      if (value === null) continue;
      // A header value can only carry visible ASCII, tab and Latin-1; anything else (a raw UTF-8
      // file name, say: RFC 6266 wants it percent-encoded in filename*) cannot be sent back.
      if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
        sendS3Error(res, "InvalidArgument", {
          message: `${param} is not a valid HTTP header value`,
          details: { ArgumentName: param, ArgumentValue: value },
        });
        return;
      }
      headers[name] = value;
    }
    const range = parseRange(header(req, "range"), version.size);
    if (range === "unsatisfiable") {
      sendS3Error(res, "InvalidRange", { headers: { "content-range": `bytes */${version.size}` } });
      return;
    }
    const [start, end] = range ?? [0, version.size - 1];
    const length = version.size === 0 ? 0 : end - start + 1;
    const wantsBody = req.method !== "HEAD" && length > 0;
    const opened = wantsBody ? await ctx.store.openVersion(version) : undefined;
    if (wantsBody && !opened) continue;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      "content-length": length,
      ...(range ? { "content-range": `bytes ${start}-${end}/${version.size}` } : {}),
    });
    if (!opened) {
      res.end();
      return;
    }
    await pipeline(opened.stream(start, end), res);
    return;
  }
  sendS3Error(res, "NoSuchKey", { details: { Key: key } });
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

/** PutObject: a new version, current once its bytes are durable and checked. */
export async function putObject(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res, key } = call;
  if (refuseWithoutLength(call)) return;
  const condition = writeCondition(call);
  if (condition === "NotImplemented") {
    req.resume();
    sendS3Error(res, "NotImplemented");
    return;
  }
  // Checked before the body is read, and again when the version is installed.
  const early = condition?.(ctx.store.current(key));
  if (early) {
    req.resume();
    answerRefusal(res, early, key);
    return;
  }
  const staged = await ctx.store.stage();
  let written: Awaited<ReturnType<typeof writeDurably>>;
  try {
    written = await writeDurably(req, path.join(staged.dir, "data"), {
      ...(declaredLength(req) === undefined ? {} : { expectedLength: declaredLength(req) }),
      sha256: call.bodySha256 !== undefined,
      fault: ctx.store.fault,
    });
  } catch (error) {
    await ctx.store.discard(staged);
    answerWriteFailure(ctx, call, error, { key });
    return;
  }
  const problem =
    call.bodySha256 !== undefined && written.sha256 !== call.bodySha256
      ? "XAmzContentSHA256Mismatch"
      : contentMd5Problem(req, written.md5);
  if (problem) {
    await ctx.store.discard(staged);
    sendS3Error(res, problem);
    return;
  }
  const etag = `"${written.md5}"`;
  let installed: Awaited<ReturnType<typeof ctx.store.install>>;
  try {
    installed = await ctx.store.install(
      key,
      staged,
      { ...attributesFrom(req), etag, files: [{ file: "data", size: written.size }] },
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
  res.writeHead(200, { etag, "x-amz-version-id": installed.versionId, "content-length": 0 }).end();
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
