/** Calls to the API in its JSON mode, and the errors it answers with. */

/** A bearer token, or a function that returns a fresh one before every call. */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

export interface ApiOptions {
  /** The function URL (or its custom domain), such as `https://abc.lambda-url.eu-west-1.on.aws/`. */
  readonly apiUrl: string;
  /** Sent as `Authorization: Bearer …` when the deployment's auth mode is jwt. */
  readonly token?: TokenSource;
  /** `fetch` to use, for a wrapper that adds tracing or a test double. */
  readonly fetch?: typeof fetch;
}

/** An error answered by the API or by storage: `code` is the API's error code or S3's. */
export class SignedFileStoreError extends Error {
  override readonly name = "SignedFileStoreError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the API's JSON mode says to send: the request to make, signed, and until when it works. */
export interface TransferInstruction {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

/** Each segment of a key is percent-encoded once, so `/` stays a separator and `a b?.txt` round-trips. */
export function encodeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

/** Headers a browser sets itself and refuses from a script (Fetch standard, "forbidden request-header"). */
const FORBIDDEN_HEADERS = new Set(["content-length", "host", "connection", "date"]);

/** The instruction's headers a script may set: a browser derives Content-Length from the body itself. */
export function settableHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !FORBIDDEN_HEADERS.has(name.toLowerCase())),
  );
}

export interface ApiRequest {
  readonly method: string;
  /** An object key, or a prefix ending in `/` (`""` for the root). */
  readonly path: string;
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

export class Api {
  private readonly base: string;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: ApiOptions) {
    this.base = options.apiUrl.replace(/\/+$/, "");
    // Bound, because a detached `fetch` throws "Illegal invocation" in browsers.
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  url(path: string, query?: string): string {
    return `${this.base}/${encodeKey(path)}${query ? `?${query}` : ""}`;
  }

  async authHeaders(): Promise<Record<string, string>> {
    const { token } = this.options;
    const value = typeof token === "function" ? await token() : token;
    return value ? { authorization: `Bearer ${value}` } : {};
  }

  /** One API call: the parsed JSON answer, or a SignedFileStoreError with the API's code. */
  async call<T>(request: ApiRequest): Promise<T> {
    const res = await explainedFetch(this.fetcher, "the API", this.url(request.path, request.query), {
      method: request.method,
      headers: {
        accept: "application/json",
        ...(await this.authHeaders()),
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw apiError(res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/**
 * `fetch`, with its bare TypeError turned into words. A request refused by CORS and one that reached
 * nothing fail alike, on purpose (the Fetch standard hides why); a `no-cors` request, whose answer a
 * page may not read, still tells them apart: it completes whenever the server answered at all.
 */
export async function explainedFetch(
  fetcher: typeof fetch,
  service: string,
  url: string,
  init: RequestInit,
): Promise<Response> {
  try {
    return await fetcher(url, init);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const origin = new URL(url).origin;
    const page = (globalThis as { location?: { origin?: string } }).location?.origin ?? "this page";
    const answered = await fetcher(url, { method: "GET", mode: "no-cors" }).then(
      () => true,
      () => false,
    );
    if (answered) {
      throw new SignedFileStoreError(
        0,
        "CorsRefused",
        `${service} at ${origin} answered, but its CORS rules refuse this ${init.method ?? "GET"} from ${page}: add ${page} to the deployment's allowed origins (corsOrigins), or check that the request's headers are allowed`,
      );
    }
    throw new SignedFileStoreError(
      0,
      "NetworkError",
      `${service} at ${origin} could not be reached (${error.message})`,
    );
  }
}

function apiError(status: number, text: string): SignedFileStoreError {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === "string" && typeof error.message === "string") {
      return new SignedFileStoreError(status, error.code, error.message);
    }
  } catch {
    // Not the API's JSON (a proxy's page, say): the status says what there is to say.
  }
  return new SignedFileStoreError(status, `Http${status}`, `the API answered ${status}`);
}

/** S3 answers errors as XML (`<Error><Code>…</Code><Message>…</Message>`); the code is what a caller can act on. */
export function storageError(status: number, body: string): SignedFileStoreError {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? `Http${status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? `storage answered ${status}`;
  return new SignedFileStoreError(status, code, message);
}
