import type { IncomingMessage, ServerResponse } from "node:http";
import { parseRange } from "../http/byte-range";
import { sendXmlError } from "../http/xml";
import type { CacheEntry } from "./cache";

const opaqueTag = (tag: string) => tag.trim().replace(/^W\//, "");

/** `If-None-Match` compares weakly: any listed tag equal to the object's, or `*` (RFC 9110 13.1.2). */
function noneMatch(header: string, etag: string | undefined): boolean {
  if (header.trim() === "*") return true;
  if (etag === undefined) return false;
  return header.split(",").some((tag) => opaqueTag(tag) === opaqueTag(etag));
}

/**
 * `If-Range` keeps the Range only when the object is unchanged: a strong ETag match, or exactly
 * the Last-Modified date (RFC 9110 13.1.5); otherwise the whole object is sent.
 */
function rangeStillValid(ifRange: string | undefined, entry: CacheEntry): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === entry.headers.etag;
  if (value.startsWith("W/")) return false;
  return value === entry.headers["last-modified"];
}

/**
 * Serves a cached object without asking the origin: a conditional GET that matches gets 304, a
 * single byte range 206 cut from the cached copy, as CloudFront serves ranges of objects in its
 * cache (CloudFront Developer Guide, "Use range GETs").
 */
export function sendCached(
  req: IncomingMessage,
  res: ServerResponse,
  entry: CacheEntry,
  xCache: string,
  extraHeaders: Record<string, string>,
): void {
  const size = entry.body.length;
  // Set apart from writeHead so the request log can read it.
  res.setHeader("x-cache", xCache);
  const ifNoneMatch = req.headers["if-none-match"];
  if (ifNoneMatch !== undefined && entry.status === 200 && noneMatch(ifNoneMatch, entry.headers.etag)) {
    const kept = ["etag", "last-modified", "cache-control", "x-amz-version-id"].filter(
      (h) => entry.headers[h],
    );
    res.writeHead(304, {
      ...Object.fromEntries(kept.map((h) => [h, entry.headers[h] ?? ""])),
      ...extraHeaders,
    });
    res.end();
    return;
  }
  const ifRange = req.headers["if-range"];
  const wanted =
    entry.status === 200 && rangeStillValid(typeof ifRange === "string" ? ifRange : undefined, entry);
  const range = wanted ? parseRange(req.headers.range, size) : undefined;
  if (range === "unsatisfiable") {
    sendXmlError(res, 416, "InvalidRange", "The requested range is not satisfiable", {
      "content-range": `bytes */${size}`,
      ...extraHeaders,
    });
    return;
  }
  const [start, end] = range ?? [0, size - 1];
  const body = range ? entry.body.subarray(start, end + 1) : entry.body;
  res.writeHead(range ? 206 : entry.status, {
    ...entry.headers,
    "content-length": body.length,
    ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    ...extraHeaders,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
