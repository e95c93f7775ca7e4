import { promises as fs } from "node:fs";
import * as path from "node:path";
import { element, sendXml } from "../../http/xml";
import { type Algorithm, hasher, isAlgorithm } from "../checksums/algorithms";
import {
  isVersionId,
  NOTHING_STAGED,
  type ObjectAttributes,
  type ObjectVersion,
  type StoredChecksum,
} from "../store/object-store";
import { checksumElements, UNSUPPORTED_ALGORITHM } from "./checksum-headers";
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

export interface CopySource {
  readonly version: ObjectVersion;
  /** Whether the request named the version (`?versionId=`), as S3 reports it back. */
  readonly named: boolean;
}

/**
 * Resolves `x-amz-copy-source` (`[/]bucket/key[?versionId=V]`, URL-encoded) to a version, or answers
 * S3's error: NoSuchKey when the key or its current version is gone (a delete marker), NoSuchVersion
 * for an unknown version, and 400 InvalidRequest when the named version is a delete marker.
 */
export function resolveSource(ctx: StorageContext, call: S3Call): CopySource | undefined {
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
    checksum: _c,
    ...rest
  } = version;
  return rest;
}

function sameChecksum(a: StoredChecksum, b: StoredChecksum | undefined): boolean {
  return a.algorithm === b?.algorithm && a.type === b.type && a.value === b.value;
}

/**
 * A copy's checksum, as CopyObject makes it: the source's when it is a FULL_OBJECT one and no other
 * algorithm is asked for ("if the source object has a checksum, that checksum value will be copied
 * to the new object by default"); otherwise computed over the source's bytes, FULL_OBJECT, in the
 * algorithm asked for, the source's, or S3's default CRC64NVME for a source without one ("With a
 * copy command, the checksum of the object is a direct checksum of the full object", Amazon S3 User
 * Guide, "Checking object integrity"). Resolves undefined when the source went while it was read.
 */
async function copyChecksum(
  ctx: StorageContext,
  version: ObjectVersion,
  asked: Algorithm | undefined,
): Promise<StoredChecksum | undefined> {
  const current = version.checksum;
  if (current?.type === "FULL_OBJECT" && (asked === undefined || asked === current.algorithm)) return current;
  const algorithm = asked ?? current?.algorithm ?? "CRC64NVME";
  const h = hasher(algorithm);
  if (version.size > 0) {
    const opened = await ctx.store.openVersion(version);
    if (!opened) return undefined;
    for await (const chunk of opened.stream(0, version.size - 1)) h.update(chunk as Buffer);
  }
  return { algorithm, type: "FULL_OBJECT", value: h.digest() };
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
  const asked = header(req, "x-amz-checksum-algorithm")?.toUpperCase();
  if (asked !== undefined && !isAlgorithm(asked)) {
    sendS3Error(res, "InvalidRequest", { message: UNSUPPORTED_ALGORITHM });
    return;
  }
  const checksum = await copyChecksum(ctx, source.version, asked);
  if (!checksum) {
    sendS3Error(res, "NoSuchKey", { details: { Key: source.version.key } });
    return;
  }
  const kept = sameChecksum(checksum, source.version.checksum);
  const staged = source.version.files.length > 0 ? await ctx.store.stage() : NOTHING_STAGED;
  let installed: Awaited<ReturnType<typeof ctx.store.install>>;
  try {
    for (const file of source.version.files) {
      await fs.link(ctx.store.filePath(source.version, file), path.join(staged.dir, file.file));
    }
    installed = await ctx.store.install(key, staged, {
      ...(directive === "COPY" ? attributesOf(source.version) : attributesFrom(req)),
      etag: source.version.etag,
      // A part's checksum is the source's, in the source's algorithm: it goes with that checksum only.
      files: source.version.files.map(({ file, size, checksum: part }) => ({
        file,
        size,
        ...(kept && part !== undefined ? { checksum: part } : {}),
      })),
      checksum,
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
    element("LastModified", installed.lastModified) +
      element("ETag", installed.etag) +
      checksumElements(installed.checksum),
    {
      "x-amz-version-id": installed.versionId,
      "x-amz-copy-source-version-id": source.version.versionId,
    },
  );
}
