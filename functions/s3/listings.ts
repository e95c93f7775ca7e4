import { BadRequest } from "../api/http-error";
import type { ListedObject, ObjectVersion } from "../api/shapes";
import { listedChecksum } from "./checksum-fields";
import { type Deadline, type LazyS3, quickCall, s3ErrorCode } from "./client";
import { INVALID_TOKEN_MESSAGE, listingFailure } from "./failures";

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

/** One version or delete marker of a key, as DeleteObjects names it. */
export interface VersionRef {
  readonly key: string;
  readonly versionId: string;
}

/** ListObjectsV2 and ListObjectVersions, as the file store makes them. */
export function s3Listings(s3: LazyS3, Bucket: string, deadline: Deadline) {
  /**
   * Every version and delete marker of exactly `key`, a page of 1,000 at a time. S3 lists keys in
   * order and `key` is the first of all keys it prefixes, so the listing stops at the first entry
   * of another key.
   */
  async function allVersions(key: string): Promise<VersionRef[]> {
    const found: VersionRef[] = [];
    let marker: { KeyMarker: string; VersionIdMarker: string } | undefined;
    const { client, sdk } = await s3();
    for (;;) {
      const out = await client.send(
        new sdk.ListObjectVersionsCommand({ Bucket, Prefix: key, MaxKeys: 1000, ...marker }),
        quickCall(deadline),
      );
      for (const entry of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]) {
        if (entry.Key === key) found.push({ key, versionId: entry.VersionId ?? "null" });
      }
      if (!out.IsTruncated || out.NextKeyMarker !== key || !out.NextVersionIdMarker) return found;
      marker = { KeyMarker: key, VersionIdMarker: out.NextVersionIdMarker };
    }
  }

  /**
   * Whether `versionId` names a version or a delete marker of `key`. HeadObject answers a delete
   * marker named by versionId with 405 (Amazon S3 API Reference, "HeadObject"), an ID it cannot
   * parse with 400. A 404 is a version it does not have, or, on radosgw 16, which answers 404 for
   * delete markers too, possibly a delete marker: only then are the key's versions listed.
   */
  async function versionExists(key: string, versionId: string): Promise<boolean> {
    const { client, sdk } = await s3();
    try {
      await client.send(
        new sdk.HeadObjectCommand({ Bucket, Key: key, VersionId: versionId }),
        quickCall(deadline),
      );
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 405) return true;
      if (status === 400) return false;
      if (status === 404 || s3ErrorCode(error) === "NotFound") {
        return (await allVersions(key)).some((v) => v.versionId === versionId);
      }
      throw error;
    }
  }

  return {
    async list(prefix: string, recursive: boolean, limit: number, token?: string): Promise<ListPage> {
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
          quickCall(deadline),
        );
        return {
          objects: (out.Contents ?? []).map((o) => {
            const checksum = listedChecksum(o.ChecksumAlgorithm, o.ChecksumType);
            return {
              key: o.Key ?? "",
              size: o.Size ?? 0,
              etag: o.ETag ?? "",
              lastModified: (o.LastModified ?? new Date(0)).toISOString(),
              ...(checksum ? { checksum } : {}),
            };
          }),
          prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""),
          ...(out.IsTruncated && out.NextContinuationToken ? { next: out.NextContinuationToken } : {}),
        };
      } catch (error) {
        return listingFailure(error, prefix);
      }
    },

    /**
     * One page of a key's versions, newest first. An `after` that names no version of the key is
     * refused: S3 and radosgw may answer a marker they do not know with an empty page, which would
     * tell the caller the key has no more versions.
     */
    async listVersions(key: string, limit: number, afterVersionId?: string): Promise<VersionPage> {
      try {
        const { client, sdk } = await s3();
        // The prefix also matches longer keys; those come after this key's versions (S3 sorts by key),
        // so a page that reaches another key has listed all of this one's.
        const [out, known] = await Promise.all([
          client.send(
            new sdk.ListObjectVersionsCommand({
              Bucket,
              Prefix: key,
              MaxKeys: limit,
              ...(afterVersionId ? { KeyMarker: key, VersionIdMarker: afterVersionId } : {}),
            }),
            quickCall(deadline),
          ),
          afterVersionId === undefined ? true : versionExists(key, afterVersionId),
        ]);
        if (!known) throw new BadRequest("InvalidToken", INVALID_TOKEN_MESSAGE);
        const versions: Array<ObjectVersion & { order: number }> = [];
        (out.Versions ?? []).forEach((v, order) => {
          if (v.Key !== key) return;
          const checksum = listedChecksum(v.ChecksumAlgorithm, v.ChecksumType);
          versions.push({
            versionId: v.VersionId ?? "null",
            size: v.Size ?? 0,
            etag: v.ETag ?? "",
            lastModified: (v.LastModified ?? new Date(0)).toISOString(),
            isLatest: v.IsLatest ?? false,
            deleteMarker: false,
            ...(checksum ? { checksum } : {}),
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
        if (error instanceof BadRequest) throw error;
        return listingFailure(error, key);
      }
    },

    async allVersions(key: string): Promise<VersionRef[]> {
      try {
        return await allVersions(key);
      } catch (error) {
        return listingFailure(error, key);
      }
    },
  };
}
