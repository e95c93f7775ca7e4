import { STATUS_CODES } from "node:http";
import { CHECKSUM_ALGORITHM_HEADER, CHECKSUM_HEADERS } from "../functions/api/checksums";
import { encodeKeyPath } from "../functions/api/object-key";
import type {
  CompletedPart,
  CompletedUpload,
  Instruction,
  MultipartUpload,
  PartUrl,
  PurgeAnswer,
  PurgeManyAnswer,
  UploadedPart,
} from "./api-types";
import { type ApiAuth, authorize } from "./auth";
import { type HttpResponse, NetworkError, readText, send } from "./http";
import { checkKey, checkPrefix } from "./keys";
import type { ObjectInfo, ShareLink } from "./object-info";
import { PermanentError, type RetryOptions, statusError, TransientError, withRetry } from "./retry";

export type {
  CompletedPart,
  CompletedUpload,
  Instruction,
  Invalidation,
  MultipartUpload,
  PartUrl,
  PurgeAnswer,
  PurgeManyAnswer,
  UploadedPart,
} from "./api-types";

const CRC64NVME_HEADER = CHECKSUM_HEADERS.CRC64NVME;

/** A refusal from the API, with its JSON error code (for example `NoSuchUpload`, `PayloadTooLarge`). */
export class ApiError extends PermanentError {
  constructor(
    status: number,
    code: string,
    /** The API's own message, without the status and code in front. */
    readonly detail: string,
  ) {
    super(`${status} ${code}: ${detail}`, status, code);
  }
}

/**
 * Nothing listens at the API's address, or its host name does not resolve. A wrong URL or a
 * stopped server does not mend within a retry budget, so this is said at once instead.
 */
export class ApiUnreachable extends PermanentError {
  /** Node's error code: `ECONNREFUSED` or `ENOTFOUND`. */
  readonly reason: string;

  constructor(apiUrl: string, cause: NetworkError) {
    super(`the API at ${apiUrl} is unreachable: ${cause.message}`, undefined, "ApiUnreachable");
    this.reason = cause.code ?? "";
  }
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND"]);

const uploadQuery = (uploadId: string) => `uploadId=${encodeURIComponent(uploadId)}`;

export interface ShareOptions {
  /** How long the URL stays valid; the API's default when absent. */
  readonly expiresSeconds?: number;
  /** The file name a browser saves the download as. */
  readonly download?: string;
}

interface Answer {
  readonly status: number;
  readonly headers: HttpResponse["headers"];
  readonly text: string;
}

/** The function URL's JSON API: every call retried on network errors and 5xx. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly auth: ApiAuth,
    private readonly retry: RetryOptions,
  ) {}

  /** One API request on a key, checked before anything is sent. */
  private async request(
    method: string,
    key: string,
    query: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Answer> {
    checkKey(key);
    return this.requestPath(method, encodeKeyPath(key), key, query, headers, body);
  }

  /**
   * One API request on an encoded path (no leading slash), retried on network errors and 5xx; a
   * refusal becomes an ApiError. `name` is the key or prefix the path stands for, for messages.
   */
  private async requestPath(
    method: string,
    path: string,
    name: string,
    query: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Answer> {
    const target = `${this.baseUrl.replace(/\/+$/, "")}/${path}${query ? `?${query}` : ""}`;
    // Safe to parse for signing: checkKey has refused the dot segments a URL parser would resolve.
    const url = new URL(target);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    // The last refusal worth a retry, so that running out of tries reports the API's own code.
    let lastRefusal: ApiError | undefined;
    return withRetry(async () => {
      const base: Record<string, string> = { accept: "application/json", ...headers };
      if (payload) {
        base["content-type"] = "application/json";
        base["content-length"] = String(payload.length);
      }
      const signed = await authorize(this.auth, method, url, base, payload);
      let res: HttpResponse;
      try {
        res = await send({ method, url: target, headers: signed, ...(payload ? { body: payload } : {}) });
      } catch (error) {
        if (error instanceof NetworkError && UNREACHABLE_CODES.has(error.code ?? "")) {
          throw new ApiUnreachable(this.baseUrl, error);
        }
        throw error;
      }
      const text = await readText(res);
      if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, text };
      // A HEAD answer carries no body, so its status alone has to say what went wrong.
      const headMissing = method === "HEAD" && res.status === 404;
      let code = headMissing ? "NoSuchKey" : res.status === 503 ? "ServiceUnavailable" : "HttpError";
      let message = headMissing
        ? `no object has the key ${JSON.stringify(name)}`
        : text.slice(0, 300) || (STATUS_CODES[res.status] ?? "");
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string }; Message?: string };
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? parsed.Message ?? message;
      } catch {}
      const refusal = new ApiError(res.status, code, message);
      // A refusal keeps the API's status and code for callers; anything retryable goes back to withRetry.
      if (statusError(res.status, message, code) instanceof PermanentError) throw refusal;
      lastRefusal = refusal;
      throw new TransientError(refusal.message, res.status, code);
    }, this.retry).catch((error: unknown) => {
      throw error instanceof TransientError && lastRefusal ? lastRefusal : error;
    });
  }

  /** A JSON call on a key: `GET /{key}?versions`, `POST /{key}?move`, … */
  async call<T>(
    method: string,
    key: string,
    query: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<T> {
    const { text } = await this.request(method, key, query, headers, body);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A JSON call on a prefix (`photos/`, or "" for the root): a listing, or the batch delete. */
  async callPrefix<T>(method: string, prefix: string, query: string, body?: unknown): Promise<T> {
    checkPrefix(prefix);
    const path = prefix === "" ? "" : `${encodeKeyPath(prefix.slice(0, -1))}/`;
    const { text } = await this.requestPath(method, path, prefix, query, {}, body);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A read URL to hand to someone else, valid for the time asked (within the deployment's limit). */
  share(key: string, options: ShareOptions = {}): Promise<ShareLink> {
    const query = [
      ...(options.expiresSeconds === undefined ? [] : [`expires=${options.expiresSeconds}`]),
      ...(options.download === undefined ? [] : [`download=${encodeURIComponent(options.download)}`]),
    ].join("&");
    return this.call<ShareLink>("GET", key, query, {});
  }

  /**
   * The object's metadata, without a transfer: the read's JSON answer, which carries the checksum
   * and, when the API refuses, its message (a HEAD answer has no body to say why).
   */
  async stat(key: string, versionId?: string): Promise<ObjectInfo> {
    const { object } = await this.instruct("GET", key, {}, versionId);
    if (!object)
      throw new PermanentError("the API's read answer names no object; it may predate sfstore stat");
    return object;
  }

  /**
   * GET, HEAD, PUT or DELETE of a whole object: where to send it and with which headers. A read
   * may name an earlier version.
   */
  instruct(
    method: "GET" | "HEAD" | "PUT" | "DELETE",
    key: string,
    headers: Record<string, string> = {},
    versionId?: string,
  ) {
    const query = versionId === undefined ? "" : `versionId=${encodeURIComponent(versionId)}`;
    return this.call<Instruction & { readonly object?: ObjectInfo }>(method, key, query, headers);
  }

  /** Creates a multipart upload whose parts storage checks against their CRC64NVME. */
  createUpload(key: string, headers: Record<string, string>) {
    return this.call<MultipartUpload>("POST", key, "uploads", {
      ...headers,
      [CHECKSUM_ALGORITHM_HEADER]: "CRC64NVME",
    });
  }

  /** URLs for parts `first` to `last`, each binding its part's CRC64NVME (base64, in order). */
  signParts(key: string, uploadId: string, first: number, last: number, checksums: readonly string[]) {
    if (checksums.length !== last - first + 1) {
      throw new Error(`${checksums.length} checksums for parts ${first} to ${last}`);
    }
    return this.call<{ parts: PartUrl[]; expiresAt: string }>(
      "GET",
      key,
      `${uploadQuery(uploadId)}&parts=${first}-${last}`,
      { [CRC64NVME_HEADER]: checksums.join(",") },
    );
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const out = await this.call<{ parts: UploadedPart[] }>("GET", key, uploadQuery(uploadId), {});
    return out.parts;
  }

  /**
   * Completes an upload from its parts, each with the checksum it was sent with, and the whole
   * object's CRC64NVME (the parts' CRCs combined), which storage checks once more.
   */
  complete(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    checksum: string,
    createOnly: boolean,
  ) {
    return this.call<CompletedUpload>(
      "POST",
      key,
      uploadQuery(uploadId),
      { [CRC64NVME_HEADER]: checksum, ...(createOnly ? { "if-none-match": "*" } : {}) },
      { parts },
    );
  }

  /** Deletes every version of `key` and has the CDN forget it. */
  purge(key: string) {
    return this.call<PurgeAnswer>("DELETE", key, "purge", {});
  }

  /** Purges up to 1000 keys with one invalidation. */
  purgeMany(keys: readonly string[]) {
    return this.callPrefix<PurgeManyAnswer>("POST", "", "delete&purge", { keys });
  }

  abort(key: string, uploadId: string) {
    return this.call<undefined>("DELETE", key, uploadQuery(uploadId), {});
  }
}
