import { encodeKeyPath } from "../functions/object-key";
import { type ApiAuth, authorize } from "./auth";
import { readText, send } from "./http";
import { PermanentError, type RetryOptions, statusError, withRetry } from "./retry";

/** One transfer the API tells the client to make (its JSON mode). */
export interface Instruction {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export interface MultipartUpload {
  readonly uploadId: string;
  readonly key: string;
  readonly partSize: number;
  readonly maxParts: number;
}

export interface PartUrl {
  readonly partNumber: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

/** A refusal from the API, with its JSON error code (for example `NoSuchUpload`, `PayloadTooLarge`). */
export class ApiError extends PermanentError {
  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`, status, code);
  }
}

const uploadQuery = (uploadId: string) => `uploadId=${encodeURIComponent(uploadId)}`;

/** The function URL's JSON API: every call retried on network errors and 5xx. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly auth: ApiAuth,
    private readonly retry: RetryOptions,
  ) {}

  private async call<T>(
    method: string,
    key: string,
    query: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<T> {
    const url = new URL(
      `${this.baseUrl.replace(/\/+$/, "")}/${encodeKeyPath(key)}${query ? `?${query}` : ""}`,
    );
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return withRetry(async () => {
      const base: Record<string, string> = { accept: "application/json", ...headers };
      if (payload) {
        base["content-type"] = "application/json";
        base["content-length"] = String(payload.length);
      }
      const signed = await authorize(this.auth, method, url, base, payload);
      const res = await send({
        method,
        url: url.href,
        headers: signed,
        ...(payload ? { body: payload } : {}),
      });
      const text = await readText(res);
      if (res.status >= 200 && res.status < 300) return (text ? JSON.parse(text) : undefined) as T;
      let code = "HttpError";
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string }; Message?: string };
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? parsed.Message ?? message;
      } catch {}
      const error = statusError(res.status, message, code);
      // A refusal keeps the API's status and code for callers; anything retryable goes back to withRetry.
      throw error instanceof PermanentError ? new ApiError(res.status, code, message) : error;
    }, this.retry);
  }

  /** GET, HEAD, PUT or DELETE of a whole object: where to send it and with which headers. */
  instruct(method: "GET" | "HEAD" | "PUT" | "DELETE", key: string, headers: Record<string, string> = {}) {
    return this.call<Instruction>(method, key, "", headers);
  }

  createUpload(key: string, headers: Record<string, string>) {
    return this.call<MultipartUpload>("POST", key, "uploads", headers);
  }

  signParts(key: string, uploadId: string, first: number, last: number) {
    return this.call<{ parts: PartUrl[]; expiresAt: string }>(
      "GET",
      key,
      `${uploadQuery(uploadId)}&parts=${first}-${last}`,
      {},
    );
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const out = await this.call<{ parts: UploadedPart[] }>("GET", key, uploadQuery(uploadId), {});
    return out.parts;
  }

  complete(
    key: string,
    uploadId: string,
    parts: ReadonlyArray<{ partNumber: number; etag: string }>,
    createOnly: boolean,
  ) {
    return this.call<{ key: string; etag: string; size: number }>(
      "POST",
      key,
      uploadQuery(uploadId),
      createOnly ? { "if-none-match": "*" } : {},
      { parts },
    );
  }

  abort(key: string, uploadId: string) {
    return this.call<undefined>("DELETE", key, uploadQuery(uploadId), {});
  }
}
