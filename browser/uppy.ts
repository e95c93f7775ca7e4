/**
 * signed-file-store for `@uppy/aws-s3` 6, in one line:
 *
 *     uppy.use(AwsS3, signedFileStore({ apiUrl, token }));
 *
 * `@uppy/aws-s3` 6 takes one `signRequest` function and then talks S3 itself. The adapter keeps what
 * it learns of each file by Uppy's file id (two files may well share a name, and so a key), and of
 * each multipart upload by its upload ID. Object and part uploads get the URL the API signs, bound
 * to the CRC64NVME of the bytes (read here for each part, a batch of parts signed per API request);
 * creating and completing a multipart upload are the adapter's own API calls, so the API's message
 * reaches Uppy when it refuses, and the plugin reads S3's XML answer from a `data:` URL.
 */
import type { AwsS3Options } from "@uppy/aws-s3";
import type { Body, Meta, UppyFile } from "@uppy/core";
import {
  CHECKSUM_ALGORITHM_HEADER,
  CHECKSUM_HEADERS,
  combineCrc64,
  crc64ToBase64,
} from "../functions/api/checksums";
import { Api, type ApiOptions, settableHeaders, type TransferInstruction } from "./api";
import { crcOfBlob, readWithCrc } from "./checksum";
import { metadataOf, xmlAnswer } from "./uppy-answers";

export interface UppyAdapterOptions extends ApiOptions {
  /** Put before each file's name to make its key, such as `uploads/`; default none. */
  readonly prefix?: string;
  /** The key for a file, when the prefix and its name are not what you want. */
  readonly objectKey?: (file: { readonly id: string; readonly name?: string }) => string;
  /** Files at least this large go in parts; default 8 MiB. */
  readonly multipartFrom?: number;
  /**
   * Uppy metadata fields stored with the object as S3 user metadata (`x-amz-meta-<field>`), as
   * Companion stores them: an array of field names, or `true` for every field. Default none: each
   * header must also be one the deployment's CORS rules allow.
   */
  readonly allowedMetaFields?: readonly string[] | boolean;
  /** Parts signed per API request; default 4. */
  readonly partsPerRequest?: number;
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
/** A single PUT holds the file in memory up to this size to sum it; above, it is read in slices. */
const BUFFERED_PUT_BYTES = 64 * MIB;
/** A URL this close to its expiry is signed again rather than handed out. */
const EXPIRY_MARGIN_MS = 30_000;
const CRC = CHECKSUM_HEADERS.CRC64NVME;
/**
 * What generateObjectKey answers: a reference to the file, never a key (keys hold no control
 * character). The plugin hands it back when it asks for the file's PUT or upload, and the adapter
 * answers with the real key, which the plugin uses from then on.
 */
const FILE_REF = "\u0000signed-file-store:file:";

/** The API's default offer: 8 MiB, raised to the next MiB when the file would need more parts than S3 allows. */
const chunkSize = (size: number) => Math.max(8 * MIB, Math.ceil(size / MAX_PARTS / MIB) * MIB);

/** What the adapter knows of one file of Uppy's, from generateObjectKey on. */
interface Tracked {
  readonly id: string;
  readonly key: string;
  readonly size: number;
  readonly type: string;
  readonly name?: string;
  /** Uppy holds the file's bytes while it uploads it; the adapter does not keep them alive. */
  readonly data?: WeakRef<Blob>;
  /** Its metadata headers, or why it cannot be stored (said when the upload starts, where Uppy hears it). */
  readonly metadata: Record<string, string> | Error;
  uploadId?: string;
  readonly crcs: Map<number, bigint>;
  readonly urls: Map<number, { target: PresignedResponse; expiresAt: number }>;
}

export function signedFileStore<M extends Meta = Meta, B extends Body = Body>(
  options: UppyAdapterOptions,
): SignedFileStoreUppyOptions<M, B> {
  const api = new Api(options);
  const multipartFrom = options.multipartFrom ?? 8 * MIB;
  const perRequest = Math.max(1, options.partsPerRequest ?? 4);
  const allowedMetaFields = options.allowedMetaFields ?? [];
  const byFile = new Map<string, Tracked>();
  const byUpload = new Map<string, Tracked>();

  const fileOf = (key: string): Tracked => {
    const tracked = key.startsWith(FILE_REF) ? byFile.get(key.slice(FILE_REF.length)) : undefined;
    if (!tracked)
      throw new Error(`the adapter was not told of this file (generateObjectKey): ${JSON.stringify(key)}`);
    return tracked;
  };

  /** The file an upload belongs to; after a reload (Golden Retriever), the one file with its key. */
  const fileOfUpload = (uploadId: string, key: string): Tracked => {
    const known = byUpload.get(uploadId);
    if (known) return known;
    const candidates = [...byFile.values()].filter((t) => t.key === key && t.uploadId === undefined);
    const [only] = candidates;
    if (!only || candidates.length > 1) {
      throw new Error(`the adapter cannot tell which file the upload ${uploadId} of ${key} belongs to`);
    }
    only.uploadId = uploadId;
    byUpload.set(uploadId, only);
    return only;
  };

  const dataOf = (tracked: Tracked): Blob => {
    const data = tracked.data?.deref();
    if (!data) throw new Error(`the bytes of ${tracked.name ?? tracked.key} are no longer in Uppy`);
    return data;
  };

  const forget = (tracked: Tracked) => {
    byFile.delete(tracked.id);
    if (tracked.uploadId) byUpload.delete(tracked.uploadId);
  };

  const describe = (tracked: Tracked, type: string): Record<string, string> => {
    if (tracked.metadata instanceof Error) throw tracked.metadata;
    return {
      "upload-length": String(tracked.size),
      "content-type": type,
      ...(tracked.name
        ? { "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(tracked.name)}` }
        : {}),
      ...tracked.metadata,
    };
  };

  async function single(tracked: Tracked, contentType: string | undefined): Promise<PresignedResponse> {
    const data = dataOf(tracked);
    const crc = data.size <= BUFFERED_PUT_BYTES ? (await readWithCrc(data)).crc : await crcOfBlob(data);
    const step = await api.call<TransferInstruction>({
      method: "PUT",
      path: tracked.key,
      headers: { ...describe(tracked, contentType || tracked.type), [CRC]: crc64ToBase64(crc) },
    });
    return { url: step.url, headers: settableHeaders(step.headers), key: tracked.key };
  }

  async function create(tracked: Tracked): Promise<PresignedResponse> {
    const created = await api.call<{ uploadId: string }>({
      method: "POST",
      path: tracked.key,
      query: "uploads",
      headers: { ...describe(tracked, tracked.type), [CHECKSUM_ALGORITHM_HEADER]: "CRC64NVME" },
    });
    tracked.uploadId = created.uploadId;
    byUpload.set(created.uploadId, tracked);
    return {
      url: xmlAnswer("InitiateMultipartUploadResult", { Key: tracked.key, UploadId: created.uploadId }),
      key: tracked.key,
    };
  }

  /** A part's CRC64NVME: summed when it was signed, or read again from the file. */
  async function partCrc(tracked: Tracked, partNumber: number): Promise<bigint> {
    const known = tracked.crcs.get(partNumber);
    if (known !== undefined) return known;
    const size = chunkSize(tracked.size);
    const start = (partNumber - 1) * size;
    const { crc } = await readWithCrc(dataOf(tracked).slice(start, start + size));
    tracked.crcs.set(partNumber, crc);
    return crc;
  }

  /** Part N's URL: from the batch already signed, or a batch from N signed now. */
  async function partUrl(tracked: Tracked, uploadId: string, partNumber: number): Promise<PresignedResponse> {
    const cached = tracked.urls.get(partNumber);
    tracked.urls.delete(partNumber);
    if (cached && cached.expiresAt - Date.now() > EXPIRY_MARGIN_MS) return cached.target;
    const count = Math.ceil(tracked.size / chunkSize(tracked.size));
    const last = Math.min(count, partNumber + perRequest - 1);
    const checksums: string[] = [];
    for (let n = partNumber; n <= last; n++) checksums.push(crc64ToBase64(await partCrc(tracked, n)));
    const signed = await api.call<{
      parts: Array<TransferInstruction & { partNumber: number }>;
      expiresAt: string;
    }>({
      method: "GET",
      path: tracked.key,
      query: `uploadId=${encodeURIComponent(uploadId)}&parts=${partNumber}-${last}`,
      headers: { [CRC]: checksums.join(",") },
    });
    const expiresAt = Date.parse(signed.expiresAt);
    for (const part of signed.parts) {
      tracked.urls.set(part.partNumber, {
        target: { url: part.url, headers: settableHeaders(part.headers) },
        expiresAt,
      });
    }
    const target = tracked.urls.get(partNumber);
    tracked.urls.delete(partNumber);
    if (!target) throw new Error(`the API signed no URL for part ${partNumber} of ${tracked.key}`);
    return target.target;
  }

  /**
   * Completes with the parts storage holds (their ETags from the API's listing), each with its
   * CRC64NVME, and the whole object's CRC combined from them, which storage checks once more.
   */
  async function complete(tracked: Tracked, uploadId: string): Promise<PresignedResponse> {
    const query = `uploadId=${encodeURIComponent(uploadId)}`;
    const { parts } = await api.call<{ parts: Array<{ partNumber: number; etag: string; size: number }> }>({
      method: "GET",
      path: tracked.key,
      query,
    });
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const completed = [];
    let whole = 0n;
    for (const [i, part] of sorted.entries()) {
      const crc = await partCrc(tracked, part.partNumber);
      whole = i === 0 ? crc : combineCrc64(whole, crc, part.size);
      completed.push({ partNumber: part.partNumber, etag: part.etag, checksum: crc64ToBase64(crc) });
    }
    const done = await api.call<{ key: string; etag: string }>({
      method: "POST",
      path: tracked.key,
      query,
      headers: { [CRC]: crc64ToBase64(whole) },
      body: { parts: completed },
    });
    forget(tracked);
    return {
      url: xmlAnswer("CompleteMultipartUploadResult", {
        Location: api.url(done.key),
        Key: done.key,
        ETag: done.etag,
      }),
    };
  }

  /** Listing and aborting go to the API as the plugin sends them; it answers in S3's XML. */
  async function toApi(key: string, query: string): Promise<PresignedResponse> {
    return { url: api.url(key, query), headers: { accept: "application/xml", ...(await api.authHeaders()) } };
  }

  async function signRequest(request: PresignableRequest): Promise<PresignedResponse> {
    if ("uploadId" in request) {
      const { uploadId, key } = request;
      if ("partNumber" in request) return partUrl(fileOfUpload(uploadId, key), uploadId, request.partNumber);
      if (request.method === "POST") return complete(fileOfUpload(uploadId, key), uploadId);
      if (request.method === "DELETE") {
        const tracked = byUpload.get(uploadId);
        if (tracked) forget(tracked);
      }
      return toApi(key, `uploadId=${encodeURIComponent(uploadId)}`);
    }
    switch (request.method) {
      case "PUT":
        return single(fileOf(request.key), request.contentType);
      case "POST":
        return create(fileOf(request.key));
      case "DELETE": {
        const key = request.key.startsWith(FILE_REF) ? fileOf(request.key).key : request.key;
        const step = await api.call<TransferInstruction>({ method: "DELETE", path: key });
        return { url: step.url, headers: settableHeaders(step.headers) };
      }
    }
  }

  return {
    signRequest,
    shouldUseMultipart: (file) => (file.size ?? 0) >= multipartFrom,
    getChunkSize: ({ size }) => chunkSize(size),
    generateObjectKey: (file: UppyFile<M, B>) => {
      const key = options.objectKey?.(file) ?? `${options.prefix ?? ""}${file.name ?? file.id}`;
      const data = file.isRemote ? undefined : file.data;
      byFile.set(file.id, {
        id: file.id,
        key,
        size: file.size ?? 0,
        type: file.type || "application/octet-stream",
        ...(file.name ? { name: file.name } : {}),
        ...(data ? { data: new WeakRef(data) } : {}),
        metadata: metadataOf(allowedMetaFields, file.meta as Record<string, unknown>),
        crcs: new Map(),
        urls: new Map(),
      });
      return `${FILE_REF}${file.id}`;
    },
  };
}
