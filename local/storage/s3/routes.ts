import type { IncomingMessage } from "node:http";
import { getObjectAttributes } from "./attributes";
import { copyObject } from "./copy";
import { deleteObjects } from "./delete-objects";
import { sendS3Error } from "./errors";
import { getObject } from "./get-object";
import { listObjectsV2, listObjectVersions } from "./listing";
import { completeUpload } from "./multipart/complete";
import { uploadPartCopy } from "./multipart/part-copy";
import { abortUpload, createUpload, listParts, partNumberParam, uploadPart } from "./multipart/uploads";
import { deleteObject, putObject } from "./objects";
import type { S3Call, StorageContext } from "./request";

/** The IAM actions the storage checks, named as in the S3 service authorization reference. */
export type S3Action =
  | "s3:GetObject"
  | "s3:GetObjectVersion"
  | "s3:PutObject"
  | "s3:DeleteObject"
  | "s3:DeleteObjectVersion"
  | "s3:ListBucket"
  | "s3:ListBucketVersions"
  | "s3:ListMultipartUploadParts"
  | "s3:AbortMultipartUpload"
  | "s3:GetObjectAttributes"
  | "s3:GetObjectVersionAttributes"
  /** Stands for the actions of object sub-resources this storage does not implement (ACLs, tags, …). */
  | "s3:OtherObjectAction";

/**
 * Object sub-resources that name other S3 operations than GetObject, PutObject or DeleteObject
 * (GetObjectAcl, PutObjectTagging, …). They must not be mistaken for the object itself: the reader
 * is refused them as S3 refuses OAC, and the writer is told they are not implemented.
 */
const OTHER_SUBRESOURCES = [
  "acl",
  "tagging",
  "attributes",
  "legal-hold",
  "retention",
  "torrent",
  "restore",
  "select",
];

export interface Route {
  readonly actions: readonly S3Action[];
  readonly run: (call: S3Call) => Promise<void>;
}

/** Which S3 operation a request is, and the IAM actions it needs. */
export function routeOf(
  ctx: StorageContext,
  method: string,
  key: string,
  query: URLSearchParams,
  req: IncomingMessage,
): Route | undefined {
  const copySource = req.headers["x-amz-copy-source"] !== undefined;
  if (key === "") {
    if (method === "GET" && query.get("list-type") === "2")
      return { actions: ["s3:ListBucket"], run: (c) => listObjectsV2(ctx, c) };
    if (method === "GET" && query.has("versions"))
      return { actions: ["s3:ListBucketVersions"], run: (c) => listObjectVersions(ctx, c) };
    if (method === "POST" && query.has("delete"))
      return { actions: ["s3:DeleteObject"], run: (c) => deleteObjects(ctx, c) };
    return undefined;
  }
  const uploadId = query.get("uploadId");
  if (uploadId !== null) {
    const withUpload =
      (run: (c: S3Call, upload: NonNullable<Awaited<ReturnType<typeof ctx.uploads.get>>>) => Promise<void>) =>
      async (c: S3Call) => {
        const upload = await ctx.uploads.get(uploadId, key);
        if (!upload) {
          c.req.resume();
          sendS3Error(c.res, "NoSuchUpload");
          return;
        }
        await run(c, upload);
      };
    if (method === "PUT")
      return {
        actions: copySource ? ["s3:PutObject", "s3:GetObject"] : ["s3:PutObject"],
        run: withUpload(async (c, upload) => {
          const partNumber = partNumberParam(c);
          if (partNumber === undefined) return;
          if (copySource) await uploadPartCopy(ctx, c, uploadId, partNumber, upload);
          else await uploadPart(ctx, c, uploadId, partNumber, upload);
        }),
      };
    if (method === "GET")
      return {
        actions: ["s3:ListMultipartUploadParts"],
        run: withUpload((c, upload) => listParts(ctx, c, uploadId, upload)),
      };
    if (method === "DELETE")
      return {
        actions: ["s3:AbortMultipartUpload"],
        run: withUpload((c) => abortUpload(ctx, c, uploadId)),
      };
    // A completion checks its upload itself, in turn with any other completion of it.
    if (method === "POST") return { actions: ["s3:PutObject"], run: (c) => completeUpload(ctx, c, uploadId) };
    return undefined;
  }
  if (method === "GET" && query.has("attributes")) {
    return {
      actions: [query.has("versionId") ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes"],
      run: (c) => getObjectAttributes(ctx, c),
    };
  }
  if (OTHER_SUBRESOURCES.some((name) => query.has(name))) {
    return {
      actions: ["s3:OtherObjectAction"],
      run: async (c) => {
        c.req.resume();
        sendS3Error(c.res, "NotImplemented");
      },
    };
  }
  const versioned = query.has("versionId");
  switch (method) {
    case "GET":
    case "HEAD":
      return {
        actions: [versioned ? "s3:GetObjectVersion" : "s3:GetObject"],
        run: (c) => getObject(ctx, c),
      };
    case "PUT":
      return copySource
        ? { actions: ["s3:PutObject", "s3:GetObject"], run: (c) => copyObject(ctx, c) }
        : { actions: ["s3:PutObject"], run: (c) => putObject(ctx, c) };
    case "DELETE":
      return {
        actions: [versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject"],
        run: (c) => deleteObject(ctx, c),
      };
    case "POST":
      return query.has("uploads")
        ? { actions: ["s3:PutObject"], run: (c) => createUpload(ctx, c) }
        : undefined;
    default:
      return undefined;
  }
}
