import type { KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { S3Presigner, type S3Target } from "../functions/s3-presigner";
import { verifySignedUrl } from "./cloudfront-verify";
import { applyCors, type CorsRule } from "./cors";
import { closeServer, listen, loggingServer } from "./http-listen";
import { sendXmlError } from "./s3-xml";
import { parseRange, type StorageCredentials } from "./storage-server";

/**
 * A CloudFront edge for the local stack, doing what a distribution with a trusted key group, the
 * CachingOptimized cache policy and an OAC origin does for this product:
 * - verifies the signed URL before anything else and answers a bad one with 403 and CloudFront's
 *   XML AccessDenied body ("Restrict content with signed URLs and signed cookies");
 * - strips the signing parameters and builds the cache key from the path alone (CachingOptimized
 *   includes no query string, header or cookie), so every signed URL for an object shares an entry;
 * - reads the origin with its own credentials (as OAC signs origin requests with SigV4);
 * - caches 200 responses for the origin's max-age, or CachingOptimized's default TTL of one day,
 *   never when the origin says no-store, no-cache or private; `X-Cache: Hit from cloudfront` or
 *   `Miss from cloudfront`; serves HEAD and single byte ranges from the cache.
 * Like CloudFront, it does not notice origin changes: a cached object is served until it expires.
 */
export interface EdgeOptions {
  readonly origin: S3Target;
  readonly credentials: StorageCredentials;
  /** The key group: public keys by CloudFront key ID. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly port?: number;
  readonly host?: string;
  readonly cors?: CorsRule;
  /** Objects larger than this are streamed through without caching. Default 64 MiB. */
  readonly maxCachedObjectBytes?: number;
  readonly clock?: () => Date;
  readonly log?: (fields: Record<string, unknown>) => void;
}

interface CacheEntry {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly expiresAt: number;
}

const DEFAULT_TTL_SECONDS = 86_400;
const MAX_TTL_SECONDS = 31_536_000;
const FORWARDED_HEADERS = [
  "content-type",
  "etag",
  "last-modified",
  "cache-control",
  "content-disposition",
  "accept-ranges",
];

export interface RunningEdge {
  readonly url: string;
  close(): Promise<void>;
}

function ttlSeconds(cacheControl: string | undefined): number {
  if (!cacheControl) return DEFAULT_TTL_SECONDS;
  if (/\b(no-store|no-cache|private)\b/i.test(cacheControl)) return 0;
  const maxAge = /\bs-maxage=(\d+)/i.exec(cacheControl) ?? /\bmax-age=(\d+)/i.exec(cacheControl);
  return maxAge ? Math.min(Number(maxAge[1]), MAX_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const clock = options.clock ?? (() => new Date());
  const cache = new Map<string, CacheEntry>();
  const maxCached = options.maxCachedObjectBytes ?? 64 * 1024 * 1024;
  const presigner = new S3Presigner(options.origin, async () => options.credentials);

  function sendFromCache(req: IncomingMessage, res: ServerResponse, entry: CacheEntry): void {
    const range = entry.status === 200 ? parseRange(req.headers.range, entry.body.length) : undefined;
    if (range === "unsatisfiable") {
      sendXmlError(res, 416, "InvalidRange", "The requested range is not satisfiable", {
        "content-range": `bytes */${entry.body.length}`,
        "x-cache": "Hit from cloudfront",
      });
      return;
    }
    const [start, end] = range ?? [0, entry.body.length - 1];
    const body = range ? entry.body.subarray(start, end + 1) : entry.body;
    res.setHeader("x-cache", "Hit from cloudfront");
    res.writeHead(range ? 206 : entry.status, {
      ...entry.headers,
      "content-length": body.length,
      ...(range ? { "content-range": `bytes ${start}-${end}/${entry.body.length}` } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.cors && applyCors(options.cors, req, res)) return;
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    if (method !== "GET" && method !== "HEAD") {
      sendXmlError(
        res,
        403,
        "MethodNotAllowed",
        "This distribution is not configured to allow the HTTP request method that was used for this request.",
      );
      return;
    }
    const verdict = verifySignedUrl(
      url,
      options.publicKeys,
      Math.floor(clock().getTime() / 1000),
      req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "",
    );
    if (!verdict.ok) {
      options.log?.({
        component: "edge",
        level: "info",
        message: "signed URL refused",
        reason: verdict.reason,
      });
      sendXmlError(res, 403, "AccessDenied", "Access denied");
      return;
    }
    const cacheKey = url.pathname;
    const cached = cache.get(cacheKey);
    if (cached && cached.expiresAt > clock().getTime()) {
      sendFromCache(req, res, cached);
      return;
    }
    if (cached) cache.delete(cacheKey);

    const key = decodeURIComponent(url.pathname.slice(1));
    const originUrl = await presigner.presign({ method: "GET", key, expiresInSeconds: 60, now: clock() });
    const wantsRange = req.headers.range !== undefined;
    const origin = await fetch(originUrl, {
      headers: wantsRange ? { range: String(req.headers.range) } : {},
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of origin.headers) {
      // User metadata reaches viewers as S3 sends it, like the headers listed.
      if (FORWARDED_HEADERS.includes(name) || name.startsWith("x-amz-meta-")) headers[name] = value;
    }
    const size = Number(origin.headers.get("content-length") ?? "-1");
    const ttl = origin.status === 200 ? ttlSeconds(headers["cache-control"]) : 0;
    if (origin.status === 200 && ttl > 0 && size >= 0 && size <= maxCached && !wantsRange) {
      const body = Buffer.from(await origin.arrayBuffer());
      const entry: CacheEntry = { status: 200, headers, body, expiresAt: clock().getTime() + ttl * 1000 };
      cache.set(cacheKey, entry);
      res.setHeader("x-cache", "Miss from cloudfront");
      res.writeHead(200, { ...headers, "content-length": body.length });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    const contentRange = origin.headers.get("content-range");
    res.setHeader("x-cache", origin.status >= 400 ? "Error from cloudfront" : "Miss from cloudfront");
    res.writeHead(origin.status, {
      ...headers,
      ...(size >= 0 ? { "content-length": size } : {}),
      ...(contentRange ? { "content-range": contentRange } : {}),
    });
    if (method === "HEAD" || !origin.body) {
      res.end();
      await origin.body?.cancel();
      return;
    }
    await pipeline(
      Readable.fromWeb(origin.body as import("node:stream/web").ReadableStream<Uint8Array>),
      res,
    );
  }

  const server = loggingServer(
    "edge",
    options.log,
    handle,
    (res) => sendXmlError(res, 502, "BadGateway", "CloudFront wasn't able to connect to the origin."),
    (res) => ({ cache: res.getHeader("x-cache") }),
  );
  const url = await listen(server, options.port, options.host);
  return { url, close: () => closeServer(server) };
}
