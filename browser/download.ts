import type { ObjectInfo } from "../functions/api/shapes";
import type { Api, TransferInstruction } from "./api";
import { ReadCheck, type ReadVerdict } from "./checksum";
import { openResumable } from "./read-body";

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
  /** Check the bytes against the store's checksum of the object; default true. */
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

/** The object's bytes, resumed from where they stopped if the connection drops (read-body.ts). */
function fetchBody(api: Api, key: string, instruction: ReadInstruction, options: DownloadOptions) {
  const versionId = instruction.object.versionId;
  return openResumable({
    key,
    url: instruction.url,
    expiresAt: instruction.expiresAt,
    ...(options.signal ? { signal: options.signal } : {}),
    resign: () =>
      readInstruction(api, key, { ...options, ...(versionId === undefined ? {} : { versionId }) }),
  });
}

/** Counts bytes for progress and feeds them to the check as they pass. */
function counting(total: number, onProgress: DownloadOptions["onProgress"], check: ReadCheck) {
  let bytes = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      check.update(chunk);
      bytes += chunk.length;
      onProgress?.({ bytes, total });
      controller.enqueue(chunk);
    },
  });
}

const checkFor = (key: string, object: ObjectInfo, options: DownloadOptions) =>
  options.verify === false
    ? new ReadCheck(key, object.checksum, "verify: false was given")
    : new ReadCheck(key, object.checksum);

/**
 * The object as a stream, checked as it arrives against the store's checksum (a dropped connection
 * resumed with a Range request, the check continuing where it stopped): the stream errors
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
  const body = await fetchBody(api, key, instruction, options);
  const check = checkFor(key, object, options);
  const checked = new TransformStream<Uint8Array, Uint8Array>({
    flush(controller) {
      try {
        check.finish();
      } catch (error) {
        controller.error(error);
      }
    },
  });
  return {
    object,
    stream: body.pipeThrough(counting(object.size, options.onProgress, check)).pipeThrough(checked),
  };
}

/**
 * The whole object as a Blob, checked against the store's checksum (CRC64NVME or SHA-256 of the
 * whole object), across a dropped connection resumed with a Range request: a mismatch throws ChecksumMismatch naming both values; `verified` says whether the
 * bytes were compared, and `note` why not when they were not.
 */
export async function readObject(
  api: Api,
  key: string,
  options: DownloadOptions = {},
): Promise<{ object: ObjectInfo; blob: Blob } & ReadVerdict> {
  const instruction = await readInstruction(api, key, options);
  const { object } = instruction;
  const body = await fetchBody(api, key, instruction, options);
  const check = checkFor(key, object, options);
  const chunks: Uint8Array[] = [];
  const reader = body.pipeThrough(counting(object.size, options.onProgress, check)).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  const verdict = check.finish();
  const blob = new Blob(chunks as BlobPart[], { type: object.contentType ?? "application/octet-stream" });
  return { object, blob, ...verdict };
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
