import { Api, type ShareOptions } from "./api";
import type { ApiAuth } from "./auth";
import { type DownloadResult, downloadFile, removeObject } from "./download";
import type { ObjectInfo, ShareLink } from "./object-info";
import { DEFAULT_RETRY, type RetryOptions } from "./retry";
import { defaultStateDir, type UploadOptions, type UploadResult, uploadFile } from "./upload";

export { Api, ApiError, ApiUnreachable, type ShareOptions } from "./api";
export { type ApiAuth, regionFromFunctionUrl } from "./auth";
export { ChecksumMismatch, type DownloadResult } from "./download";
export { InvalidKeyError } from "./keys";
export type { ObjectInfo, ShareLink } from "./object-info";
export { DEFAULT_RETRY, PermanentError, type RetryOptions } from "./retry";
export type { Progress, UploadResult } from "./upload";

export interface ClientOptions {
  /** The API's base URL: the function URL, or the local stack's `http://127.0.0.1:3000`. */
  readonly apiUrl: string;
  readonly auth?: ApiAuth;
  readonly retry?: RetryOptions;
}

export type PutOptions = Partial<Omit<UploadOptions, "retry">>;

export const DEFAULTS = {
  multipartThreshold: 16 * 1024 * 1024,
  concurrency: 4,
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

  put(file: string, key: string, options: PutOptions = {}): Promise<UploadResult> {
    return uploadFile(this.api, file, key, {
      multipartThreshold: DEFAULTS.multipartThreshold,
      concurrency: DEFAULTS.concurrency,
      stateDir: defaultStateDir(),
      ...options,
      retry: this.retry,
    });
  }

  get(
    key: string,
    dest: string,
    onProgress?: (bytes: number, total: number) => void,
  ): Promise<DownloadResult> {
    return downloadFile(this.api, key, dest, { retry: this.retry, ...(onProgress ? { onProgress } : {}) });
  }

  remove(key: string): Promise<void> {
    return removeObject(this.api, key, this.retry);
  }

  /** A read URL for someone else: `expiresSeconds` within the deployment's limit, `download` names the file. */
  share(key: string, options: ShareOptions = {}): Promise<ShareLink> {
    return this.api.share(key, options);
  }

  /** The object's size, ETag, version, type, date, SHA-256 and disposition, without a transfer. */
  stat(key: string): Promise<ObjectInfo> {
    return this.api.stat(key);
  }
}
