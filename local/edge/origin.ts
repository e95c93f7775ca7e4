import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * S3 response headers that reach the viewer. CloudFront passes on what S3 sends apart from a few
 * it removes or replaces (CloudFront Developer Guide, "HTTP response headers that CloudFront
 * removes or updates"); these are the ones this product's reads carry: the object's type, tag,
 * date, caching, download name, version and user metadata.
 */
const FORWARDED_HEADERS = new Set([
  "content-type",
  "etag",
  "last-modified",
  "cache-control",
  "content-disposition",
  "accept-ranges",
  "x-amz-version-id",
]);

export function forwardedHeaders(origin: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(origin.headers)) {
    if (typeof value !== "string") continue;
    // User metadata reaches viewers as S3 sends it, like the headers listed.
    if (FORWARDED_HEADERS.has(name) || name.startsWith("x-amz-meta-")) headers[name] = value;
  }
  return headers;
}

const DEFAULT_TTL_SECONDS = 86_400;
const MAX_TTL_SECONDS = 31_536_000;

/**
 * How long a 200 stays cached under CachingOptimized: the origin's s-maxage or max-age up to the
 * maximum TTL of one year, the default TTL of one day without either, never for no-store, no-cache
 * or private ("Use managed cache policies").
 */
export function ttlSeconds(cacheControl: string | undefined): number {
  if (!cacheControl) return DEFAULT_TTL_SECONDS;
  if (/\b(no-store|no-cache|private)\b/i.test(cacheControl)) return 0;
  const maxAge = /\bs-maxage=(\d+)/i.exec(cacheControl) ?? /\bmax-age=(\d+)/i.exec(cacheControl);
  return maxAge ? Math.min(Number(maxAge[1]), MAX_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
}

/**
 * A GET to the origin over node:http rather than fetch: the body is piped to the viewer as a Node
 * stream, with no web-stream conversion per chunk on the data path.
 */
export function originGet(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  const request = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers }, resolve);
    req.on("error", reject);
    req.end();
  });
}
