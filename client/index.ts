import * as path from "node:path";
import { Api, type ShareOptions } from "./api";
import type { ApiAuth } from "./auth";
import { contentDisposition, contentTypeFor } from "./content";
import {
  type CopyResult,
  copyObject,
  type DeleteResult,
  deleteKeys,
  type ListedObject,
  type ListOptions,
  type ListPage,
  listPages,
  listVersions,
  moveObject,
  type ObjectVersion,
  type PurgeResult,
  purgeKeys,
  restoreVersion,
} from "./files";
import type { ObjectInfo, ShareLink } from "./object-info";
import { DEFAULT_RETRY, type RetryOptions } from "./retry";
import { type DownloadResult, downloadFile, removeObject } from "./transfer/download";
import { defaultStateDir, type UploadOptions, type UploadResult, uploadFile } from "./transfer/upload";

export { Api, ApiError, ApiUnreachable, type Invalidation, type ShareOptions } from "./api";
export { type ApiAuth, regionFromFunctionUrl } from "./auth";
export { contentDisposition, contentTypeFor } from "./content";
export type {
  CopyResult,
  DeleteError,
  DeleteResult,
  ListedObject,
  ListOptions,
  ListPage,
  ObjectVersion,
  PurgeResult,
} from "./files";
export { type DevToken, IssuerUnreachable, requestToken, type TokenRequest } from "./issuer";
export { InvalidKeyError } from "./keys";
export type { ObjectChecksum, ObjectInfo, ShareLink } from "./object-info";
export { DEFAULT_RETRY, PermanentError, type RetryOptions } from "./retry";
export { ChecksumMismatch, type DownloadResult } from "./transfer/download";
export type { Progress, UploadResult } from "./transfer/upload";

export interface ClientOptions {
  /** The API's base URL: the function URL, or the local stack's `http://127.0.0.1:3000`. */
  readonly apiUrl: string;
  readonly auth?: ApiAuth;
  readonly retry?: RetryOptions;
}

export type PutOptions = Partial<Omit<UploadOptions, "retry">> & {
  /** The file name downloads are saved as, when `contentDisposition` is not given: default the file's name. */
  readonly downloadName?: string;
};

export interface GetOptions {
  /** An earlier version of the key rather than the current one. */
  readonly versionId?: string;
}

export const DEFAULTS = {
  multipartThreshold: 16 * 1024 * 1024,
  concurrency: 6,
} as const;

/**
 * A client for signed-file-store that Node programs can import: files stream from and to disk, so
 * memory stays flat whatever their size.
 */
export class SignedFileStoreClient {
  private readonly api: Api;
  private readonly retry: RetryOptions;

  constructor(options: ClientOptions) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.api = new Api(options.apiUrl, options.auth ?? { kind: "none" }, this.retry);
  }

  /**
   * Uploads `file` as `key`. The object's Content-Type comes from the key's extension and downloads
   * are saved under the file's name, unless `contentType`, `contentDisposition` or `downloadName`
   * say otherwise.
   */
  put(file: string, key: string, options: PutOptions = {}): Promise<UploadResult> {
    const { downloadName, ...rest } = options;
    return uploadFile(this.api, file, key, {
      multipartThreshold: DEFAULTS.multipartThreshold,
      concurrency: DEFAULTS.concurrency,
      stateDir: defaultStateDir(),
      contentType: contentTypeFor(key),
      contentDisposition: contentDisposition(downloadName ?? path.basename(file)),
      ...rest,
      retry: this.retry,
    });
  }

  /**
   * Downloads `key` to `dest`, checking the bytes against the store's checksum of the object (a
   * resumed download included): a mismatch is a ChecksumMismatch and leaves nothing at `dest`.
   */
  get(
    key: string,
    dest: string,
    onProgress?: (bytes: number, total: number) => void,
    options: GetOptions = {},
  ): Promise<DownloadResult> {
    return downloadFile(this.api, key, dest, {
      retry: this.retry,
      ...(onProgress ? { onProgress } : {}),
      ...(options.versionId === undefined ? {} : { versionId: options.versionId }),
    });
  }

  /** Deletes the key's current version; earlier versions stay, and `restore` brings one back. */
  remove(key: string): Promise<void> {
    return removeObject(this.api, key, this.retry);
  }

  /**
   * Deletes every version of each key for good and has the CDN forget their paths, so links shared
   * earlier stop working too. Keys the API refuses come back in `errors`; a key with nothing stored
   * is purged all the same (0 versions), its paths invalidated.
   */
  purge(keys: string | readonly string[]): Promise<PurgeResult> {
    return purgeKeys(this.api, typeof keys === "string" ? [keys] : keys);
  }

  /** A read URL for someone else: `expiresSeconds` within the deployment's limit, `download` names the file. */
  share(key: string, options: ShareOptions = {}): Promise<ShareLink> {
    return this.api.share(key, options);
  }

  /** The object's size, ETag, version, type, date, checksum and disposition, without a transfer. */
  stat(key: string, options: { readonly versionId?: string } = {}): Promise<ObjectInfo> {
    return this.api.stat(key, options.versionId);
  }

  /**
   * The listing of `prefix` ("" for the root, otherwise ending in `/`) page by page, every page
   * fetched as the previous one is consumed: one level, or every level with `recursive`.
   */
  list(prefix: string, options: ListOptions = {}): AsyncGenerator<ListPage> {
    return listPages(this.api, prefix, options);
  }

  /** Every object under `prefix`, at every level, in key order. */
  async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    for await (const page of listPages(this.api, prefix, { recursive: true })) yield* page.objects;
  }

  /** Server-side copy; no bytes pass through this process or the API. */
  copy(
    source: string,
    destination: string,
    options: { readonly versionId?: string } = {},
  ): Promise<CopyResult> {
    return copyObject(this.api, source, destination, options.versionId);
  }

  /** Copy, then delete the source; a failed copy leaves the source where it was. */
  move(source: string, destination: string): Promise<CopyResult> {
    return moveObject(this.api, source, destination);
  }

  /** Deletes any number of keys, 1000 to a request; keys the API refused are in `errors`. */
  deleteMany(keys: readonly string[]): Promise<DeleteResult> {
    return deleteKeys(this.api, keys);
  }

  /** The key's versions and delete markers, newest first. */
  versions(key: string): AsyncGenerator<ObjectVersion> {
    return listVersions(this.api, key);
  }

  /** Makes an earlier version current again (a deleted key included), as a new version. */
  restore(key: string, versionId: string): Promise<CopyResult> {
    return restoreVersion(this.api, key, versionId);
  }
}
