import { BadRequest, NotFound, PreconditionFailed } from "../api/http-error";
import type { ListedObject, ObjectInfo, ObjectVersion } from "../api/shapes";
import { lazyS3Client, quickCall, rethrowUnavailable, s3ErrorCode } from "./client";

export type { ListedObject, ObjectVersion } from "../api/shapes";

import { S3_LIMITS } from "../api/upload-rules";
import type { CredentialsProvider, S3Target } from "../signers/s3-presigner";

export interface ListPage {
  readonly objects: ListedObject[];
  readonly prefixes: string[];
  /** S3's continuation token when there is more. */
  readonly next?: string;
}

export interface VersionPage {
  readonly versions: ObjectVersion[];
  /** The version to continue after, when there is more. */
  readonly next?: string;
}

export interface Copied {
  readonly etag: string;
  readonly versionId?: string;
}

export interface DeleteOutcome {
  readonly deleted: string[];
  readonly errors: Array<{ key: string; code: string; message: string }>;
}

/** The object-management calls the function makes itself; no object bytes pass through it. */
export interface FileStore {
  list(prefix: string, recursive: boolean, limit: number, token?: string): Promise<ListPage>;
  listVersions(key: string, limit: number, afterVersionId?: string): Promise<VersionPage>;
  /** Server-side copy of `source` (already looked up) to `destinationKey`. */
  copy(source: ObjectInfo, destinationKey: string): Promise<Copied>;
  /** With `ifMatch`, only while the current version has that ETag; 412 PreconditionFailed otherwise. */
  deleteOne(key: string, ifMatch?: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<DeleteOutcome>;
}

export interface CopyLimits {
  /** Above this a copy is made part by part (UploadPartCopy). S3's CopyObject limit is 5 GiB. */
  readonly singleCopyBytes: number;
  readonly copyPartBytes: number;
}

export const S3_COPY_LIMITS: CopyLimits = {
  singleCopyBytes: S3_LIMITS.singlePutBytes,
  copyPartBytes: 512 * 1024 ** 2,
};

/** S3 names copy sources as `BUCKET/KEY` URL-encoded, with `?versionId=` (API Reference, "CopyObject"). */
function copySource(bucket: string, source: ObjectInfo): string {
  const path = `${bucket}/${source.key}`.split("/").map(encodeURIComponent).join("/");
  return source.versionId ? `${path}?versionId=${encodeURIComponent(source.versionId)}` : path;
}

function failure(error: unknown, key: string): never {
  switch (s3ErrorCode(error)) {
    case "NoSuchKey":
    case "NoSuchVersion":
      throw new NotFound("NoSuchKey", `no object at ${key} (it changed while the request ran)`);
    case "PreconditionFailed":
      throw new PreconditionFailed(`${key} changed while the request ran`);
  }
  return rethrowUnavailable(error);
}

/**
 * A listing's failure: a continuation token or version marker S3 does not recognise (it answers
 * 400 InvalidArgument to both) means the caller's `after` did not come from the previous page.
 */
function listingFailure(error: unknown, key: string): never {
  if (s3ErrorCode(error) === "InvalidArgument") {
    throw new BadRequest("InvalidToken", "after must be the next token of the previous page of this listing");
  }
  return failure(error, key);
}

export function s3FileStore(
  target: S3Target,
  credentials: CredentialsProvider,
  limits: CopyLimits = S3_COPY_LIMITS,
): FileStore {
  const s3 = lazyS3Client(target, credentials);
  const Bucket = target.bucket;

  async function multipartCopy(source: ObjectInfo, destinationKey: string): Promise<Copied> {
    const { client, sdk } = await s3();
    const created = await client.send(
      new sdk.CreateMultipartUploadCommand({
        Bucket,
        Key: destinationKey,
        // UploadPartCopy copies bytes only: the object's headers and metadata are set here.
        ...(source.contentType ? { ContentType: source.contentType } : {}),
        ...(source.contentDisposition ? { ContentDisposition: source.contentDisposition } : {}),
        ...(source.sha256 ? { Metadata: { sha256: source.sha256 } } : {}),
      }),
    );
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error("CreateMultipartUpload answered without an UploadId");
    try {
      const partBytes = Math.max(limits.copyPartBytes, Math.ceil(source.size / S3_LIMITS.maxParts));
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      for (let start = 0, n = 1; start < source.size; start += partBytes, n++) {
        const end = Math.min(start + partBytes, source.size) - 1;
        const part = await client.send(
          new sdk.UploadPartCopyCommand({
            Bucket,
            Key: destinationKey,
            UploadId,
            PartNumber: n,
            CopySource: copySource(Bucket, source),
            CopySourceRange: `bytes=${start}-${end}`,
            // The source must still be the version looked up, or the copy would mix two objects.
            CopySourceIfMatch: source.etag,
          }),
        );
        parts.push({ PartNumber: n, ETag: part.CopyPartResult?.ETag ?? "" });
      }
      const done = await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket,
          Key: destinationKey,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { etag: done.ETag ?? "", ...(done.VersionId ? { versionId: done.VersionId } : {}) };
    } catch (error) {
      await client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket, Key: destinationKey, UploadId }))
        .catch(() => {});
      throw error;
    }
  }

  return {
    async list(prefix, recursive, limit, token) {
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket,
            Prefix: prefix,
            MaxKeys: limit,
            ...(recursive ? {} : { Delimiter: "/" }),
            ...(token ? { ContinuationToken: token } : {}),
          }),
          quickCall(),
        );
        return {
          objects: (out.Contents ?? []).map((o) => ({
            key: o.Key ?? "",
            size: o.Size ?? 0,
            etag: o.ETag ?? "",
            lastModified: (o.LastModified ?? new Date(0)).toISOString(),
          })),
          prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""),
          ...(out.IsTruncated && out.NextContinuationToken ? { next: out.NextContinuationToken } : {}),
        };
      } catch (error) {
        return listingFailure(error, prefix);
      }
    },

    async listVersions(key, limit, afterVersionId) {
      try {
        const { client, sdk } = await s3();
        // The prefix also matches longer keys; those come after this key's versions (S3 sorts by key),
        // so a page that reaches another key has listed all of this one's.
        const out = await client.send(
          new sdk.ListObjectVersionsCommand({
            Bucket,
            Prefix: key,
            MaxKeys: limit,
            ...(afterVersionId ? { KeyMarker: key, VersionIdMarker: afterVersionId } : {}),
          }),
          quickCall(),
        );
        const versions: Array<ObjectVersion & { order: number }> = [];
        (out.Versions ?? []).forEach((v, order) => {
          if (v.Key !== key) return;
          versions.push({
            versionId: v.VersionId ?? "null",
            size: v.Size ?? 0,
            etag: v.ETag ?? "",
            lastModified: (v.LastModified ?? new Date(0)).toISOString(),
            isLatest: v.IsLatest ?? false,
            deleteMarker: false,
            order,
          });
        });
        for (const m of out.DeleteMarkers ?? []) {
          if (m.Key !== key) continue;
          versions.push({
            versionId: m.VersionId ?? "null",
            lastModified: (m.LastModified ?? new Date(0)).toISOString(),
            isLatest: m.IsLatest ?? false,
            deleteMarker: true,
            order: Number.MAX_SAFE_INTEGER,
          });
        }
        // S3 returns versions and delete markers in two lists; newest first across both.
        versions.sort(
          (a, b) =>
            b.lastModified.localeCompare(a.lastModified) ||
            Number(b.isLatest) - Number(a.isLatest) ||
            a.order - b.order,
        );
        const more = out.IsTruncated && out.NextKeyMarker === key && out.NextVersionIdMarker;
        return {
          versions: versions.map(({ order: _, ...v }) => v),
          ...(more ? { next: out.NextVersionIdMarker } : {}),
        };
      } catch (error) {
        return listingFailure(error, key);
      }
    },

    async copy(source, destinationKey) {
      try {
        if (source.size > limits.singleCopyBytes) return await multipartCopy(source, destinationKey);
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.CopyObjectCommand({
            Bucket,
            Key: destinationKey,
            CopySource: copySource(Bucket, source),
            CopySourceIfMatch: source.etag,
            MetadataDirective: "COPY",
          }),
        );
        return {
          etag: out.CopyObjectResult?.ETag ?? "",
          ...(out.VersionId ? { versionId: out.VersionId } : {}),
        };
      } catch (error) {
        return failure(error, source.key);
      }
    },

    async deleteOne(key, ifMatch) {
      try {
        const { client, sdk } = await s3();
        await client.send(
          new sdk.DeleteObjectCommand({ Bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
          quickCall(),
        );
      } catch (error) {
        failure(error, key);
      }
    },

    async deleteMany(keys) {
      if (keys.length === 0) return { deleted: [], errors: [] };
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false },
          }),
          quickCall(),
        );
        return {
          deleted: (out.Deleted ?? []).map((d) => d.Key ?? ""),
          errors: (out.Errors ?? []).map((e) => ({
            key: e.Key ?? "",
            code: e.Code ?? "InternalError",
            message: e.Message ?? "the object could not be deleted",
          })),
        };
      } catch (error) {
        return failure(error, keys[0] ?? "");
      }
    },
  };
}
