/**
 * signed-file-store for `@uppy/aws-s3` 6, in one line:
 *
 *     uppy.use(AwsS3, signedFileStore({ apiUrl, token }));
 *
 * `@uppy/aws-s3` 6 takes one `signRequest` function and then talks S3 itself. Each S3 request it
 * asks for is mapped to the API: object and part uploads get the presigned storage URL the API
 * signs (JSON mode), and the multipart calls S3 answers in XML (create, list parts, complete,
 * abort) go to the API itself, which answers them in S3's XML when asked for `application/xml`,
 * so the function keeps every check (size limit at completion, allowed types, the caller's rules).
 */
import type { AwsS3Options } from "@uppy/aws-s3";
import type { Body, Meta, UppyFile } from "@uppy/core";
import { Api, type ApiOptions, settableHeaders, type TransferInstruction } from "./api";
import { sha256OfBlob } from "./sha256";

export interface UppyAdapterOptions extends ApiOptions {
  /** Put before each file's name to make its key, such as `uploads/`; default none. */
  readonly prefix?: string;
  /** The key for a file, when the prefix and its name are not what you want. */
  readonly objectKey?: (file: { readonly id: string; readonly name?: string }) => string;
  /** Files at least this large go in parts; default 8 MiB. */
  readonly multipartFrom?: number;
  /** Send the file's SHA-256, stored and checked on download; default true. */
  readonly checksum?: boolean;
}

type SignRequestOptions<M extends Meta, B extends Body> = Extract<
  AwsS3Options<M, B>,
  { signRequest: unknown }
>;
type SignRequest = SignRequestOptions<Meta, Body>["signRequest"];
type PresignableRequest = Parameters<SignRequest>[0];
type PresignedResponse = Awaited<ReturnType<SignRequest>>;

export type SignedFileStoreUppyOptions<M extends Meta, B extends Body> = Pick<
  SignRequestOptions<M, B>,
  "signRequest" | "shouldUseMultipart" | "getChunkSize" | "generateObjectKey"
>;

const MIB = 1024 ** 2;
/** S3's part count limit (Amazon S3 User Guide, "Amazon S3 multipart upload limits"). */
const MAX_PARTS = 10_000;

/** What the signer needs of a file that Uppy's requests do not carry: its size, name and bytes. */
interface PendingFile {
  readonly size: number;
  readonly name?: string;
  readonly data?: Blob;
  sha256?: Promise<string>;
}

export function signedFileStore<M extends Meta = Meta, B extends Body = Body>(
  options: UppyAdapterOptions,
): SignedFileStoreUppyOptions<M, B> {
  const api = new Api(options);
  const multipartFrom = options.multipartFrom ?? 8 * MIB;
  // Uppy names each file's key through generateObjectKey before it signs anything for it, so that is
  // where the size, the name and the bytes to hash are learnt.
  const pending = new Map<string, PendingFile>();

  async function uploadHeaders(key: string): Promise<Record<string, string>> {
    const file = pending.get(key);
    if (!file) return {};
    if (options.checksum !== false && file.data && !file.sha256) file.sha256 = sha256OfBlob(file.data);
    const sha256 = await file.sha256;
    return {
      "upload-length": String(file.size),
      ...(file.name
        ? { "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}` }
        : {}),
      ...(sha256 ? { "x-amz-meta-sha256": sha256 } : {}),
    };
  }

  async function instruction(
    method: string,
    key: string,
    query = "",
    headers = {},
  ): Promise<PresignedResponse> {
    const step = await api.call<TransferInstruction>({ method, path: key, query, headers });
    return { url: step.url, headers: settableHeaders(step.headers) };
  }

  /** A multipart call Uppy sends as it would to S3, to the API, which answers in S3's XML. */
  async function toApi(
    key: string,
    query: string,
    headers: Record<string, string> = {},
  ): Promise<PresignedResponse> {
    return {
      url: api.url(key, query),
      headers: { accept: "application/xml", ...(await api.authHeaders()), ...headers },
    };
  }

  async function signRequest(request: PresignableRequest): Promise<PresignedResponse> {
    const { key } = request;
    if ("uploadId" in request) {
      const uploadId = encodeURIComponent(request.uploadId);
      if ("partNumber" in request) {
        const { parts } = await api.call<{ parts: TransferInstruction[] }>({
          method: "GET",
          path: key,
          query: `uploadId=${uploadId}&parts=${request.partNumber}`,
        });
        const [part] = parts;
        if (!part) throw new Error(`the API signed no URL for part ${request.partNumber} of ${key}`);
        return { url: part.url, headers: settableHeaders(part.headers) };
      }
      // Listing, completing (S3's XML body) and aborting are the function's own calls to S3.
      if (request.method !== "GET") pending.delete(key);
      return toApi(key, `uploadId=${uploadId}`);
    }
    switch (request.method) {
      case "PUT":
        return instruction("PUT", key, "", {
          ...(request.contentType ? { "content-type": request.contentType } : {}),
          ...(await uploadHeaders(key)),
        });
      case "POST":
        return toApi(key, "uploads", await uploadHeaders(key));
      case "DELETE":
        return instruction("DELETE", key);
    }
  }

  return {
    signRequest,
    shouldUseMultipart: (file) => (file.size ?? 0) >= multipartFrom,
    // The API's default offer: 8 MiB, raised to the next MiB when the file would need more parts than S3 allows.
    getChunkSize: ({ size }) => Math.max(8 * MIB, Math.ceil(size / MAX_PARTS / MIB) * MIB),
    generateObjectKey: (file: UppyFile<M, B>) => {
      const key = options.objectKey?.(file) ?? `${options.prefix ?? ""}${file.name ?? file.id}`;
      const data = file.isRemote ? undefined : file.data;
      pending.set(key, {
        size: file.size ?? 0,
        ...(file.name ? { name: file.name } : {}),
        ...(data ? { data } : {}),
      });
      return key;
    },
  };
}
