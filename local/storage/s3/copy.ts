import { promises as fs } from "node:fs";
import * as path from "node:path";
import { element, sendXml } from "../../http/xml";
import { IncompleteBodyError } from "../store/durable-write";
import { isVersionId, type ObjectAttributes, type ObjectVersion } from "../store/object-store";
import { sendS3Error } from "./errors";
import {
  answerWriteFailure,
  attributesFrom,
  etagMatches,
  header,
  refuseLongKey,
  type S3Call,
  type StorageContext,
} from "./request";

/** CopyObject's limit; larger sources are copied with UploadPartCopy ("Copy an object"). */
export const MAX_COPY_BYTES = 5 * 1024 * 1024 * 1024;

interface CopySource {
  readonly version: ObjectVersion;
  /** Whether the request named the version (`?versionId=`), as S3 reports it back. */
  readonly named: boolean;
}

/**
 * Resolves `x-amz-copy-source` (`[/]bucket/key[?versionId=V]`, URL-encoded) to a version, or answers
 * S3's error: NoSuchKey when the key or its current version is gone (a delete marker), NoSuchVersion
 * for an unknown version, and 400 InvalidRequest when the named version is a delete marker.
 */
function resolveSource(ctx: StorageContext, call: S3Call): CopySource | undefined {
  const raw = header(call.req, "x-amz-copy-source") ?? "";
  const q = raw.indexOf("?");
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : raw.slice(q + 1));
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart).replace(/^\//, "");
  } catch {
    decoded = "";
  }
  const slash = decoded.indexOf("/");
  const bucket = slash === -1 ? "" : decoded.slice(0, slash);
  const key = slash === -1 ? "" : decoded.slice(slash + 1);
  const invalid = (message: string) => sendS3Error(call.res, "InvalidArgument", { message });
  if (!bucket || !key) {
    invalid("Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    return undefined;
  }
  if (bucket !== ctx.bucket) {
    sendS3Error(call.res, "NoSuchBucket");
    return undefined;
  }
  if (refuseLongKey(call.res, key)) return undefined;
  const versionId = query.get("versionId");
  if (versionId !== null && !isVersionId(versionId)) {
    invalid("Invalid version id specified");
    return undefined;
  }
  const entry = versionId === null ? ctx.store.current(key) : ctx.store.version(key, versionId);
  if (!entry || (entry.deleteMarker && versionId === null)) {
    if (versionId === null) sendS3Error(call.res, "NoSuchKey", { details: { Key: key } });
    else sendS3Error(call.res, "NoSuchVersion", { details: { Key: key, VersionId: versionId } });
    return undefined;
  }
  if (entry.deleteMarker) {
    sendS3Error(call.res, "InvalidRequest", {
      message: "The source of a copy request may not specifically refer to a delete marker by version id.",
    });
    return undefined;
  }
  const failed = sourceConditionFails(call, entry);
  if (failed) {
    sendS3Error(call.res, "PreconditionFailed", { details: { Condition: failed } });
    return undefined;
  }
  return { version: entry, named: versionId !== null };
}

/** `x-amz-copy-source-if-*`, with GetObject's precedence; the failing header's name, if any. */
function sourceConditionFails(call: S3Call, version: ObjectVersion): string | undefined {
  const seconds = (d: string) => Math.floor(new Date(d).getTime() / 1000);
  const modified = seconds(version.lastModified);
  const ifMatch = header(call.req, "x-amz-copy-source-if-match");
  const ifNoneMatch = header(call.req, "x-amz-copy-source-if-none-match");
  const ifUnmodified = header(call.req, "x-amz-copy-source-if-unmodified-since");
  const ifModified = header(call.req, "x-amz-copy-source-if-modified-since");
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, version.etag)) return "x-amz-copy-source-If-Match";
  } else if (ifUnmodified !== undefined && modified > seconds(ifUnmodified)) {
    return "x-amz-copy-source-If-Unmodified-Since";
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, version.etag)) return "x-amz-copy-source-If-None-Match";
  } else if (ifModified !== undefined && modified <= seconds(ifModified)) {
    return "x-amz-copy-source-If-Modified-Since";
  }
  return undefined;
}

function attributesOf(version: ObjectVersion): ObjectAttributes {
  const {
    key: _k,
    versionId: _v,
    deleteMarker: _d,
    size: _s,
    etag: _e,
    lastModified: _l,
    files: _f,
    ...rest
  } = version;
  return rest;
}

/**
 * CopyObject. The new version hard-links the source version's files (they never change), so a copy
 * moves no bytes; its ETag is the source's. With `x-amz-metadata-directive: COPY` (the default) the
 * source's headers and metadata go along; with REPLACE the request's are stored instead. Copying a
 * key's current version onto itself without REPLACE is refused as S3 refuses it; naming an older
 * version is how S3 restores one.
 */
export async function copyObject(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res, key } = call;
  req.resume();
  const directive = header(req, "x-amz-metadata-directive") ?? "COPY";
  if (directive !== "COPY" && directive !== "REPLACE") {
    sendS3Error(res, "InvalidArgument", {
      message: "Unknown metadata directive.",
      details: { ArgumentName: "x-amz-metadata-directive", ArgumentValue: directive },
    });
    return;
  }
  const source = resolveSource(ctx, call);
  if (!source) return;
  if (source.version.key === key && directive === "COPY" && !source.named) {
    sendS3Error(res, "InvalidRequest", {
      message:
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    });
    return;
  }
  if (source.version.size > MAX_COPY_BYTES) {
    sendS3Error(res, "InvalidRequest", {
      message: `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_BYTES}`,
    });
    return;
  }
  const staged = await ctx.store.stage();
  let installed: Awaited<ReturnType<typeof ctx.store.install>>;
  try {
    for (const file of source.version.files) {
      await fs.link(ctx.store.filePath(source.version, file), path.join(staged.dir, file.file));
    }
    installed = await ctx.store.install(key, staged, {
      ...(directive === "COPY" ? attributesOf(source.version) : attributesFrom(req)),
      etag: source.version.etag,
      files: source.version.files,
    });
  } catch (error) {
    await ctx.store.discard(staged);
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      // The source version was removed while it was being copied.
      sendS3Error(res, "NoSuchKey", { details: { Key: source.version.key } });
      return;
    }
    answerWriteFailure(ctx, call, error, { key });
    return;
  }
  if ("refused" in installed) return;
  sendXml(
    res,
    "CopyObjectResult",
    element("LastModified", installed.lastModified) + element("ETag", installed.etag),
    {
      "x-amz-version-id": installed.versionId,
      "x-amz-copy-source-version-id": source.version.versionId,
    },
  );
}

/**
 * UploadPartCopy: a part made of a source version's bytes, all of them or `x-amz-copy-source-range:
 * bytes=first-last` (both offsets inclusive and inside the source).
 */
export async function uploadPartCopy(
  ctx: StorageContext,
  call: S3Call,
  uploadId: string,
  partNumber: number,
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
      { expectedLength: Math.max(0, last - first + 1) },
      ctx.clock(),
    );
    if ("problem" in part) throw new Error(part.problem);
    sendXml(res, "CopyPartResult", element("LastModified", part.lastModified) + element("ETag", part.etag), {
      "x-amz-copy-source-version-id": version.versionId,
    });
  } catch (error) {
    await opened.close();
    // Reading our own file short is our failure, not the client's.
    answerWriteFailure(ctx, call, error instanceof IncompleteBodyError ? new Error(error.message) : error, {
      uploadId,
      partNumber,
    });
  }
}
