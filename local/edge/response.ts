import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRange } from "../http/byte-range";
import { sendXmlError } from "../http/xml";
import type { CacheEntry } from "./cache";
import type { Fill } from "./fill";

const opaqueTag = (tag: string) => tag.trim().replace(/^W\//, "");

/** `If-None-Match` compares weakly: any listed tag equal to the object's, or `*` (RFC 9110 13.1.2). */
function noneMatch(header: string, etag: string | undefined): boolean {
  if (header.trim() === "*") return true;
  if (etag === undefined) return false;
  return header.split(",").some((tag) => opaqueTag(tag) === opaqueTag(etag));
}

/** A cached 200 object, whole in the cache or still arriving from the origin. */
interface EdgeObject {
  readonly headers: Readonly<Record<string, string>>;
  readonly size: number;
}

/**
 * `If-Range` keeps the Range only when the object is unchanged: a strong ETag match, or exactly
 * the Last-Modified date (RFC 9110 13.1.5); otherwise the whole object is sent.
 */
function rangeStillValid(ifRange: string | undefined, object: EdgeObject): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === object.headers.etag;
  if (value.startsWith("W/")) return false;
  return value === object.headers["last-modified"];
}

/**
 * Answers from the cache without asking the origin: a conditional GET that matches gets 304, a
 * single byte range 206 cut from the cached copy, as CloudFront serves ranges of objects in its
 * cache (CloudFront Developer Guide, "Use range GETs"). Returns the bytes to send, if any.
 */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  object: EdgeObject,
  xCache: string,
  extraHeaders: Record<string, string>,
): [number, number] | undefined {
  // Set apart from writeHead so the request log can read it.
  res.setHeader("x-cache", xCache);
  const ifNoneMatch = req.headers["if-none-match"];
  if (ifNoneMatch !== undefined && noneMatch(ifNoneMatch, object.headers.etag)) {
    const kept = ["etag", "last-modified", "cache-control", "x-amz-version-id"].filter(
      (h) => object.headers[h],
    );
    res.writeHead(304, {
      ...Object.fromEntries(kept.map((h) => [h, object.headers[h] ?? ""])),
      ...extraHeaders,
    });
    res.end();
    return undefined;
  }
  const ifRange = req.headers["if-range"];
  const wanted = rangeStillValid(typeof ifRange === "string" ? ifRange : undefined, object);
  const range = wanted ? parseRange(req.headers.range, object.size) : undefined;
  if (range === "unsatisfiable") {
    sendXmlError(res, 416, "InvalidRange", "The requested range is not satisfiable", {
      "content-range": `bytes */${object.size}`,
      ...extraHeaders,
    });
    return undefined;
  }
  const [start, end] = range ?? [0, object.size - 1];
  res.writeHead(range ? 206 : 200, {
    ...object.headers,
    "content-length": end - start + 1,
    ...(range ? { "content-range": `bytes ${start}-${end}/${object.size}` } : {}),
    ...extraHeaders,
  });
  if (req.method === "HEAD") {
    res.end();
    return undefined;
  }
  return [start, end];
}

/** Serves a cached object. */
export function sendCached(
  req: IncomingMessage,
  res: ServerResponse,
  entry: CacheEntry,
  xCache: string,
  extraHeaders: Record<string, string>,
): void {
  const bytes = answer(req, res, { headers: entry.headers, size: entry.body.length }, xCache, extraHeaders);
  if (bytes) res.end(entry.body.subarray(bytes[0], bytes[1] + 1));
}

/** Serves an object still arriving from the origin, each byte as soon as it is there. */
export async function sendFromFill(
  req: IncomingMessage,
  res: ServerResponse,
  fill: Fill,
  xCache: string,
  extraHeaders: Record<string, string>,
): Promise<void> {
  const bytes = answer(req, res, fill, xCache, extraHeaders);
  if (bytes) await fill.pipeTo(res, bytes[0], bytes[1]);
}
