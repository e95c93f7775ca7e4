import type { ObjectInfo } from "../functions/api/shapes";
import { type Api, SignedFileStoreError, type TransferInstruction } from "./api";
import { Sha256, sha256OfBlob } from "./sha256";

export type { ObjectInfo } from "../functions/api/shapes";

export interface ReadUrlOptions {
  /** A version from `versions()`: that version rather than the current one. */
  readonly versionId?: string;
  /** Seconds the URL should stay valid, up to the deployment's `maxReadExpirySeconds`. */
  readonly expires?: number;
  /** The file name the download is saved under (Content-Disposition: attachment). */
  readonly download?: string;
  readonly signal?: AbortSignal;
}

export interface DownloadOptions extends ReadUrlOptions {
  readonly onProgress?: (progress: { bytes: number; total: number }) => void;
  /** Check the bytes against the stored SHA-256 when there is one; default true. */
  readonly verify?: boolean;
}

export interface ReadInstruction extends TransferInstruction {
  readonly object: ObjectInfo;
}

export function readQuery(options: ReadUrlOptions): string {
  const query = new URLSearchParams();
  if (options.versionId !== undefined) query.set("versionId", options.versionId);
  if (options.expires !== undefined) query.set("expires", String(options.expires));
  if (options.download !== undefined) query.set("download", options.download);
  return query.toString();
}

/** The signed CDN URL of a read and the object's metadata: the API's JSON mode of `GET /{key}`. */
export function readInstruction(api: Api, key: string, options: ReadUrlOptions): Promise<ReadInstruction> {
  return api.call<ReadInstruction>({
    method: "GET",
    path: key,
    query: readQuery(options),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

function mismatch(key: string, got: string, stored: string): SignedFileStoreError {
  return new SignedFileStoreError(
    0,
    "ChecksumMismatch",
    `${key}: got SHA-256 ${got}, the upload recorded ${stored}`,
  );
}

async function fetchBody(
  instruction: ReadInstruction,
  options: DownloadOptions,
): Promise<ReadableStream<Uint8Array>> {
  const res = await fetch(instruction.url, options.signal ? { signal: options.signal } : {});
  if (!res.ok) {
    throw new SignedFileStoreError(res.status, `Http${res.status}`, `the CDN answered ${res.status}`);
  }
  // Old browsers without response streams get the whole body at once: one progress report at the end.
  return res.body ?? new Blob([await res.arrayBuffer()]).stream();
}

/** Counts bytes for progress and, when `hash` is given, hashes them as they pass. */
function counting(total: number, onProgress: DownloadOptions["onProgress"], hash?: Sha256) {
  let bytes = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash?.update(chunk);
      bytes += chunk.length;
      onProgress?.({ bytes, total });
      controller.enqueue(chunk);
    },
  });
}

/**
 * The object as a stream, checked as it arrives: when storage holds its SHA-256, the stream errors
 * at its end instead of closing if the bytes differ, so a consumer writing to disk (the File System
 * Access API's `createWritable`, say) can discard what it wrote.
 */
export async function streamObject(
  api: Api,
  key: string,
  options: DownloadOptions = {},
): Promise<{ object: ObjectInfo; stream: ReadableStream<Uint8Array> }> {
  const instruction = await readInstruction(api, key, options);
  const { object } = instruction;
  const body = await fetchBody(instruction, options);
  const expected = options.verify === false ? undefined : object.sha256;
  const hash = expected ? new Sha256() : undefined;
  const counted = body.pipeThrough(counting(object.size, options.onProgress, hash));
  if (!hash || !expected) return { object, stream: counted };
  const check = new TransformStream<Uint8Array, Uint8Array>({
    flush(controller) {
      const got = hash.hex();
      if (got !== expected) controller.error(mismatch(key, got, expected));
    },
  });
  return { object, stream: counted.pipeThrough(check) };
}

/** The whole object as a Blob, checked against the stored SHA-256 (native Web Crypto up to 64 MiB). */
export async function readObject(
  api: Api,
  key: string,
  options: DownloadOptions = {},
): Promise<{ object: ObjectInfo; blob: Blob; sha256: string }> {
  const instruction = await readInstruction(api, key, options);
  const { object } = instruction;
  const body = await fetchBody(instruction, options);
  const chunks: Uint8Array[] = [];
  const reader = body.pipeThrough(counting(object.size, options.onProgress)).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  const blob = new Blob(chunks as BlobPart[], { type: object.contentType ?? "application/octet-stream" });
  const sha256 = await sha256OfBlob(blob);
  if (options.verify !== false && object.sha256 && sha256 !== object.sha256) {
    throw mismatch(key, sha256, object.sha256);
  }
  return { object, blob, sha256 };
}

/** The name a download should be saved under: the stored Content-Disposition's, else the key's last segment. */
export function fileNameOf(object: ObjectInfo): string {
  const disposition = object.contentDisposition ?? "";
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  if (extended) {
    try {
      return decodeURIComponent(extended);
    } catch {
      // A malformed escape: fall through to the plain name.
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(disposition)?.[1];
  return plain ?? object.key.split("/").pop() ?? object.key;
}
