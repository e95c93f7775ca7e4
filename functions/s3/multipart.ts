import { BadRequest, NotFound, PreconditionFailed } from "../api/http-error";
import type { UploadDescription } from "../api/upload-rules";
import type { CredentialsProvider, S3Target } from "../signers/s3-presigner";
import { lazyS3Client, quickCall, rethrowUnavailable, s3ErrorCode } from "./client";

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

/** The multipart calls the function makes itself; part bytes never pass through it. */
export interface MultipartStore {
  create(key: string, upload: UploadDescription): Promise<string>;
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** Resolves when the upload exists; rejects with 404 NoSuchUpload when it is gone. One request. */
  checkUpload(key: string, uploadId: string): Promise<void>;
  /** `size` is the total the listed parts were checked at: S3 refuses a completion of any other. */
  complete(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    createOnly: boolean,
    size: number,
  ): Promise<{ etag: string }>;
  abort(key: string, uploadId: string): Promise<void>;
}

/**
 * S3 errors a client can act on, with messages that say how; storage that is down or overloaded is a
 * 503 with Retry-After. Anything else is a 500.
 */
function clientError(error: unknown, uploadId: string): never {
  switch (s3ErrorCode(error)) {
    // Ceph radosgw answers ListParts of an aborted upload with NoSuchKey where S3 says NoSuchUpload;
    // either way, in a multipart call, the upload is gone.
    case "NoSuchKey":
    case "NoSuchUpload":
      throw new NotFound(
        "NoSuchUpload",
        `no multipart upload ${uploadId} for this key: it was completed, aborted or has expired`,
      );
    case "InvalidPart":
      throw new BadRequest(
        "InvalidPart",
        "a listed part was not uploaded or its etag does not match; list the parts with GET ?uploadId",
      );
    case "InvalidPartOrder":
      throw new BadRequest("InvalidPartOrder", "parts must be listed in ascending partNumber order");
    case "EntityTooSmall":
      throw new BadRequest("EntityTooSmall", "every part except the last must be at least 5 MiB");
    case "PreconditionFailed":
      throw new PreconditionFailed("the object already exists and If-None-Match: * was given");
  }
  return rethrowUnavailable(error);
}

/** Over the shared, lazily created S3 client: the first multipart call loads client-s3, not the import. */
export function s3MultipartStore(target: S3Target, credentials: CredentialsProvider): MultipartStore {
  const s3 = lazyS3Client(target, credentials);
  const Bucket = target.bucket;
  return {
    async create(key, upload) {
      let uploadId: string | undefined;
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.CreateMultipartUploadCommand({
            Bucket,
            Key: key,
            ...(upload.contentType ? { ContentType: upload.contentType } : {}),
            ...(upload.contentDisposition ? { ContentDisposition: upload.contentDisposition } : {}),
            ...(upload.sha256 ? { Metadata: { sha256: upload.sha256 } } : {}),
          }),
          quickCall(),
        );
        uploadId = out.UploadId;
      } catch (error) {
        rethrowUnavailable(error);
      }
      if (!uploadId) throw new Error("CreateMultipartUpload answered without an UploadId");
      return uploadId;
    },
    async listParts(key, uploadId) {
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      try {
        const { client, sdk } = await s3();
        // S3 returns at most 1,000 parts per call.
        do {
          const page = await client.send(
            new sdk.ListPartsCommand({
              Bucket,
              Key: key,
              UploadId: uploadId,
              ...(marker ? { PartNumberMarker: marker } : {}),
            }),
            quickCall(),
          );
          for (const p of page.Parts ?? []) {
            parts.push({ partNumber: p.PartNumber ?? 0, etag: p.ETag ?? "", size: p.Size ?? 0 });
          }
          marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (marker);
      } catch (error) {
        clientError(error, uploadId);
      }
      return parts;
    },
    async checkUpload(key, uploadId) {
      try {
        const { client, sdk } = await s3();
        await client.send(
          new sdk.ListPartsCommand({ Bucket, Key: key, UploadId: uploadId, MaxParts: 1 }),
          quickCall(),
        );
      } catch (error) {
        clientError(error, uploadId);
      }
    },
    async complete(key, uploadId, parts, createOnly, size) {
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
            ...(createOnly ? { IfNoneMatch: "*" } : {}),
            // x-amz-mp-object-size: "If there's a mismatch between the specified object size value and
            // the actual object size value, it results in an HTTP 400 InvalidRequest error" (Amazon S3
            // API Reference, "CompleteMultipartUpload"). So a part uploaded again, larger, between the
            // size check and this call cannot slip past maxUploadBytes.
            MpuObjectSize: size,
          }),
        );
        return { etag: out.ETag ?? "" };
      } catch (error) {
        if (s3ErrorCode(error) === "InvalidRequest") {
          throw new BadRequest(
            "InvalidPart",
            "a part changed while the upload was being completed, so its parts no longer add up to the size checked; list the parts with GET ?uploadId and complete again",
          );
        }
        return clientError(error, uploadId);
      }
    },
    async abort(key, uploadId) {
      try {
        const { client, sdk } = await s3();
        await client.send(
          new sdk.AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }),
          quickCall(),
        );
      } catch (error) {
        clientError(error, uploadId);
      }
    },
  };
}
