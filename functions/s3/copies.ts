import type { ObjectChecksum } from "../api/checksums";
import { MULTIPART_CHECKSUM_TYPE } from "../api/checksums";
import type { ObjectInfo } from "../api/shapes";
import { S3_LIMITS } from "../api/upload-rules";
import { CHECKSUM_MEMBERS, checksumFromFields } from "./checksum-fields";
import type { LazyS3 } from "./client";
import { objectFailure } from "./failures";

export interface Copied {
  readonly etag: string;
  readonly versionId?: string;
  /** The copy's checksum, when S3 reported one. */
  readonly checksum?: ObjectChecksum;
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

/** Server-side copies: CopyObject, or UploadPartCopy above `limits.singleCopyBytes`. */
export function s3Copies(s3: LazyS3, Bucket: string, limits: CopyLimits) {
  /**
   * The copy keeps the source's checksum algorithm: CopyObject does so itself ("if the source object
   * has a checksum, that checksum value will be copied to the new object by default", Amazon S3 API
   * Reference, "CopyObject"); a copy made of parts names it when the upload is created, and passes
   * each part's checksum, which UploadPartCopy computes in the upload's algorithm, to the completion.
   */
  async function multipartCopy(source: ObjectInfo, destinationKey: string): Promise<Copied> {
    const { client, sdk } = await s3();
    const algorithm = source.checksum?.algorithm;
    const member = algorithm && CHECKSUM_MEMBERS[algorithm];
    const checksumType = algorithm && { ChecksumType: MULTIPART_CHECKSUM_TYPE[algorithm] };
    const created = await client.send(
      new sdk.CreateMultipartUploadCommand({
        Bucket,
        Key: destinationKey,
        // UploadPartCopy copies bytes only: the object's headers are set here.
        ...(source.contentType ? { ContentType: source.contentType } : {}),
        ...(source.contentDisposition ? { ContentDisposition: source.contentDisposition } : {}),
        ...(algorithm ? { ChecksumAlgorithm: algorithm, ...checksumType } : {}),
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
        const value = member && part.CopyPartResult?.[member];
        parts.push({
          PartNumber: n,
          ETag: part.CopyPartResult?.ETag ?? "",
          ...(value ? { [member]: value } : {}),
        });
      }
      const done = await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket,
          Key: destinationKey,
          UploadId,
          MultipartUpload: { Parts: parts },
          ...checksumType,
        }),
      );
      const checksum = checksumFromFields(done);
      return {
        etag: done.ETag ?? "",
        ...(done.VersionId ? { versionId: done.VersionId } : {}),
        ...(checksum ? { checksum } : {}),
      };
    } catch (error) {
      await client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket, Key: destinationKey, UploadId }))
        .catch(() => {});
      throw error;
    }
  }

  return {
    async copy(source: ObjectInfo, destinationKey: string): Promise<Copied> {
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
        const checksum = out.CopyObjectResult && checksumFromFields(out.CopyObjectResult);
        return {
          etag: out.CopyObjectResult?.ETag ?? "",
          ...(out.VersionId ? { versionId: out.VersionId } : {}),
          ...(checksum ? { checksum } : {}),
        };
      } catch (error) {
        return objectFailure(error, source.key);
      }
    },
  };
}
