import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: IncomingMessage;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A buffer, or a stream factory so that a retry can read the bytes again. */
  readonly body?: Buffer | (() => Readable);
  /** Abort when no byte moves for this long. */
  readonly idleTimeoutMs?: number;
  /** Told of a buffer body's bytes as the socket takes them, for progress. */
  readonly onBodySent?: (bytes: number) => void;
}

/** A buffer body is written in slices of this size, so progress moves while it goes out. */
const SLICE_BYTES = 1024 * 1024;

/** Raised for failures below HTTP (refused, reset, timed out): worth a retry on a transfer. */
export class NetworkError extends Error {
  constructor(
    message: string,
    /** Node's error code, such as `ECONNREFUSED` or `ENOTFOUND`, when the socket gave one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A transfer's network failure, saying which service it was with (` from storage`, ` from the CDN`). */
export function sendTo(where: "storage" | "the CDN", req: HttpRequest): Promise<HttpResponse> {
  return send(req).catch((error: unknown) => {
    throw error instanceof NetworkError
      ? new NetworkError(`${error.message} from ${where}`, error.code)
      : error;
  });
}

/**
 * The path and query exactly as written in `url`. `new URL` resolves `.` and `..` segments (also
 * as `%2e`), which would send a request for another key than the one named, so the request line
 * takes the text itself and the parsed URL only supplies host, port and scheme.
 */
export function rawPathOf(url: string): string {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").replace(/#.*$/s, "");
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/**
 * node:http rather than fetch: a presigned PUT must carry an exact Content-Length, and fetch sends a
 * streamed body chunked, which S3 refuses for presigned uploads.
 */
export function send(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const options = { method: req.method, path: rawPathOf(req.url), headers: { ...req.headers } };
    const r = request(url, options, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    r.setTimeout(req.idleTimeoutMs ?? 60_000, () =>
      r.destroy(new NetworkError(`no progress for ${req.idleTimeoutMs ?? 60_000} ms`)),
    );
    r.on("error", (error: NodeJS.ErrnoException) =>
      reject(error instanceof NetworkError ? error : new NetworkError(error.message, error.code)),
    );
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) {
      const { body, onBodySent } = req;
      if (!onBodySent) r.end(body);
      else {
        // Slices of one buffer are views, not copies; each callback fires once the socket took it.
        for (let at = 0; at < body.length; at += SLICE_BYTES) {
          const slice = body.subarray(at, at + SLICE_BYTES);
          r.write(slice, (error) => {
            if (!error) onBodySent(slice.length);
          });
        }
        r.end();
      }
    } else {
      const source = req.body();
      source.on("error", (error) => r.destroy(error));
      source.pipe(r);
    }
  });
}

export async function readText(res: HttpResponse, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw new Error(`response larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The `<Code>` of an S3 or CloudFront XML error body, or `HttpError` when there is none. */
export function xmlErrorCode(text: string): string {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? "HttpError";
}
