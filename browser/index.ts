/**
 * signed-file-store in the browser: one ES module, no Node built-ins. The API answers in its JSON
 * mode (Accept: application/json) with signed URLs, and the bytes go straight between the browser
 * and storage (uploads) or the CDN (downloads); a browser cannot safely follow a cross-origin 307
 * for a PUT, which is why the JSON mode exists.
 */
import { Api, type ApiOptions } from "./api";
import type { ReadVerdict } from "./checksum";
import {
  type DownloadOptions,
  type ObjectInfo,
  type ReadUrlOptions,
  readInstruction,
  readObject,
  streamObject,
} from "./download";
import { fileOperations } from "./files";
import { Upload, type UploadOptions } from "./upload";

export type { ObjectChecksum } from "../functions/api/checksums";
export type { ApiOptions, TokenSource, TransferInstruction } from "./api";
export { encodeKey, SignedFileStoreError } from "./api";
export type { ReadVerdict } from "./checksum";
export type { DownloadOptions, ObjectInfo, ReadInstruction, ReadUrlOptions } from "./download";
export { fileNameOf } from "./download";
export type {
  CopyResult,
  DeleteManyResult,
  Invalidation,
  ListedObject,
  ListOptions,
  ListPage,
  ObjectVersion,
  PurgeResult,
  VersionPage,
} from "./files";
export { Sha256 } from "./sha256";
export type { UploadOptions, UploadProgress, UploadResult } from "./upload";
export { Upload } from "./upload";

export class SignedFileStore {
  readonly api: Api;
  private readonly files: ReturnType<typeof fileOperations>;

  constructor(options: ApiOptions) {
    this.api = new Api(options);
    this.files = fileOperations(this.api);
  }

  /**
   * Starts an upload: one signed PUT, or parallel parts that `resume()` continues after a pause or
   * a failure, and the same file continues after a reload. Storage checks every byte against the
   * CRC64NVME the upload binds.
   */
  upload(file: Blob, key: string, options: UploadOptions = {}): Upload {
    return new Upload(this.api, file, key, options);
  }

  /** The whole object as a Blob, with progress, checked against the store's checksum of it. */
  read(key: string, options?: DownloadOptions): Promise<{ object: ObjectInfo; blob: Blob } & ReadVerdict> {
    return readObject(this.api, key, options);
  }

  /** The object as a ReadableStream that errors at its end if the bytes fail the checksum check. */
  stream(
    key: string,
    options?: DownloadOptions,
  ): Promise<{ object: ObjectInfo; stream: ReadableStream<Uint8Array> }> {
    return streamObject(this.api, key, options);
  }

  /** A signed CDN URL for the object (a share link with `expires` and `download`). */
  async url(key: string, options: ReadUrlOptions = {}): Promise<string> {
    return (await readInstruction(this.api, key, options)).url;
  }

  readonly stat = (key: string, versionId?: string) => this.files.stat(key, versionId);
  readonly list: ReturnType<typeof fileOperations>["list"] = (prefix, options) =>
    this.files.list(prefix, options);
  readonly listAll: ReturnType<typeof fileOperations>["listAll"] = (prefix, options) =>
    this.files.listAll(prefix, options);
  readonly delete = (key: string) => this.files.delete(key);
  readonly deleteMany = (keys: readonly string[]) => this.files.deleteMany(keys);
  /** Every version of each key, for good, and the CDN's copies: see `purge` in the docs. */
  readonly purge = (keys: string | readonly string[]) => this.files.purge(keys);
  readonly copy = (source: string, destination: string, sourceVersionId?: string) =>
    this.files.copy(source, destination, sourceVersionId);
  readonly move = (source: string, destination: string) => this.files.move(source, destination);
  readonly versions: ReturnType<typeof fileOperations>["versions"] = (key, options) =>
    this.files.versions(key, options);
  readonly restore = (key: string, versionId: string) => this.files.restore(key, versionId);
}
