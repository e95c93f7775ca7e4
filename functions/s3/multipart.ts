import type { DeclaredChecksum, MultipartChecksum } from "../api/checksum-headers";
import { type ChecksumAlgorithm, MULTIPART_CHECKSUM_TYPE, type ObjectChecksum } from "../api/checksums";
import { BadRequest, NotFound, PreconditionFailed } from "../api/http-error";
import type { UploadDescription } from "../api/upload-rules";
import type { CredentialsProvider, S3Target } from "../signers/s3-presigner";
import { CHECKSUM_MEMBERS, checksumFromFields } from "./checksum-fields";
import {
  type Deadline,
  lazyS3Client,
  QUICK_CALL_DEADLINE,
  quickCall,
  rethrowUnavailable,
  s3ErrorCode,
} from "./client";

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  /** The part's checksum in the upload's algorithm, when the upload has one. */
  readonly checksum?: string;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
  /** The part's checksum in the upload's algorithm (S3 checks it against the part it stored). */
  readonly checksum?: string;
}

/** An upload's parts so far, and the checksum algorithm and type it was created with. */
export interface UploadState {
  readonly parts: UploadedPart[];
  readonly checksum?: MultipartChecksum;
}

export interface Completion {
  readonly createOnly: boolean;
  /** The total the listed parts were checked at: S3 refuses a completion of any other. */
  readonly size: number;
  /** The upload's algorithm and type, named again to S3 (x-amz-checksum-type). */
  readonly checksum?: MultipartChecksum;
  /** The whole object's checksum, which S3 checks against the one it builds from the parts. */
  readonly whole?: DeclaredChecksum;
}

/** The multipart calls the function makes itself; part bytes never pass through it. */
export interface MultipartStore {
  create(key: string, upload: UploadDescription): Promise<string>;
  listParts(key: string, uploadId: string): Promise<UploadState>;
  /** Resolves with the upload's checksum when it exists; rejects with 404 NoSuchUpload when it is gone. One request. */
  checkUpload(key: string, uploadId: string): Promise<{ checksum?: MultipartChecksum }>;
  complete(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    completion: Completion,
  ): Promise<{ etag: string; checksum?: ObjectChecksum }>;
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
        "a listed part was not uploaded or its etag or checksum does not match; list the parts with GET ?uploadId",
      );
    case "InvalidPartOrder":
      throw new BadRequest("InvalidPartOrder", "parts must be listed in ascending partNumber order");
    case "EntityTooSmall":
      throw new BadRequest("EntityTooSmall", "every part except the last must be at least 5 MiB");
    case "BadDigest":
      throw new BadRequest(
        "BadDigest",
        "the whole object's checksum given does not match the one S3 built from the parts uploaded",
      );
    case "PreconditionFailed":
      throw new PreconditionFailed("the object already exists and If-None-Match: * was given");
  }
  return rethrowUnavailable(error);
}

/** The upload's algorithm from ListParts; its type when S3 names none is the only one it allows. */
function uploadChecksum(
  algorithm: string | undefined,
  type: string | undefined,
): MultipartChecksum | undefined {
  if (algorithm !== "CRC64NVME" && algorithm !== "SHA256") return undefined;
  const given = type === "FULL_OBJECT" || type === "COMPOSITE" ? type : undefined;
  return { algorithm, type: given ?? MULTIPART_CHECKSUM_TYPE[algorithm] };
}

/** Over the shared, lazily created S3 client: the first multipart call loads client-s3, not the import. */
export function s3MultipartStore(
  target: S3Target,
  credentials: CredentialsProvider,
  options: { readonly deadline?: Deadline } = {},
): MultipartStore {
  const s3 = lazyS3Client(target, credentials);
  const deadline = options.deadline ?? QUICK_CALL_DEADLINE;
  const Bucket = target.bucket;
  const member = (algorithm: ChecksumAlgorithm) => CHECKSUM_MEMBERS[algorithm];
  return {
    async create(key, upload) {
      let uploadId: string | undefined;
      const checksum = upload.multipartChecksum;
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.CreateMultipartUploadCommand({
            Bucket,
            Key: key,
            ...(upload.contentType ? { ContentType: upload.contentType } : {}),
            ...(upload.contentDisposition ? { ContentDisposition: upload.contentDisposition } : {}),
            ...(checksum ? { ChecksumAlgorithm: checksum.algorithm, ChecksumType: checksum.type } : {}),
            ...(upload.metadata ? { Metadata: { ...upload.metadata } } : {}),
          }),
          quickCall(deadline),
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
      let checksum: MultipartChecksum | undefined;
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
            quickCall(deadline),
          );
          checksum ??= uploadChecksum(page.ChecksumAlgorithm, page.ChecksumType);
          for (const p of page.Parts ?? []) {
            const value = checksum && p[member(checksum.algorithm)];
            parts.push({
              partNumber: p.PartNumber ?? 0,
              etag: p.ETag ?? "",
              size: p.Size ?? 0,
              ...(value ? { checksum: value } : {}),
            });
          }
          marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (marker);
      } catch (error) {
        clientError(error, uploadId);
      }
      return { parts, ...(checksum ? { checksum } : {}) };
    },
    async checkUpload(key, uploadId) {
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.ListPartsCommand({ Bucket, Key: key, UploadId: uploadId, MaxParts: 1 }),
          quickCall(deadline),
        );
        const checksum = uploadChecksum(out.ChecksumAlgorithm, out.ChecksumType);
        return checksum ? { checksum } : {};
      } catch (error) {
        return clientError(error, uploadId);
      }
    },
    async complete(key, uploadId, parts, completion) {
      const { checksum, whole } = completion;
      try {
        const { client, sdk } = await s3();
        const out = await client.send(
          new sdk.CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: {
              Parts: parts.map((p) => ({
                PartNumber: p.partNumber,
                ETag: p.etag,
                ...(checksum && p.checksum ? { [member(checksum.algorithm)]: p.checksum } : {}),
              })),
            },
            ...(completion.createOnly ? { IfNoneMatch: "*" } : {}),
            // A FULL_OBJECT value is checked only when the type is named with it (recorded against
            // S3: without x-amz-checksum-type S3 answers BadDigest even to the right value).
            ...(checksum ? { ChecksumType: checksum.type } : {}),
            ...(whole ? { [member(whole.algorithm)]: whole.value } : {}),
            // x-amz-mp-object-size: "If there's a mismatch between the specified object size value and
            // the actual object size value, it results in an HTTP 400 InvalidRequest error" (Amazon S3
            // API Reference, "CompleteMultipartUpload"). So a part uploaded again, larger, between the
            // size check and this call cannot slip past maxUploadBytes.
            MpuObjectSize: completion.size,
          }),
        );
        const objectChecksum = checksumFromFields(out);
        return { etag: out.ETag ?? "", ...(objectChecksum ? { checksum: objectChecksum } : {}) };
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
          quickCall(deadline),
        );
      } catch (error) {
        clientError(error, uploadId);
      }
    },
  };
}
