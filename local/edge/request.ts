import { CACHE_KEY_QUERY_PARAMS } from "../../functions/api/read-query";
import { SIGNING_PARAMETERS } from "./cloudfront-verify";

/**
 * A viewer request target taken apart without `new URL`, which throws on a hostile Host header
 * and silently rewrites a path (dot segments, some characters): the path that is verified, cached
 * and read from the origin must be one and the same string, exactly as the viewer sent it.
 */
export interface EdgeTarget {
  /** `http://host[:port]`, as the signed URL's policy names it. */
  readonly origin: string;
  /** The path as sent, percent-encoded, starting with `/`. */
  readonly path: string;
  /** The object key: the path decoded once, without its leading `/`. */
  readonly key: string;
  /** The query's `name=value` pairs as sent (not decoded), in order. */
  readonly pairs: readonly string[];
}

export type TargetVerdict =
  | { readonly ok: true; readonly target: EdgeTarget }
  | { readonly ok: false; readonly message: string };

// A reg-name or IPv4 address, or an IPv6 literal, with an optional port (RFC 9110 section 7.2).
const HOST_PATTERN =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
// Visible ASCII only; a raw space, control character or non-ASCII byte is not a valid target.
const TARGET_CHARS = /^[\x21-\x7e]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

function decode(text: string): string | undefined {
  if (BAD_PERCENT.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // percent-escapes that are not UTF-8
  }
}

const nameOf = (pair: string) => {
  const eq = pair.indexOf("=");
  return eq === -1 ? pair : pair.slice(0, eq);
};
const paramValue = (pair: string) => {
  const eq = pair.indexOf("=");
  return eq === -1 ? "" : pair.slice(eq + 1);
};
const isCacheKeyParam = (pair: string) =>
  (CACHE_KEY_QUERY_PARAMS as readonly string[]).includes(nameOf(pair));

export function parseTarget(rawTarget: string | undefined, hostHeader: string | undefined): TargetVerdict {
  const target = rawTarget ?? "";
  if (!TARGET_CHARS.test(target) || target.includes("#"))
    return { ok: false, message: "The request target is not a valid URL." };
  let host = hostHeader ?? "";
  let pathAndQuery = target;
  const absolute = /^https?:\/\/([^/?]*)(.*)$/i.exec(target);
  if (absolute) {
    // absolute-form names the host itself, and then the Host header is ignored (RFC 9112 3.2.2)
    host = absolute[1] ?? "";
    pathAndQuery = absolute[2] === "" ? "/" : (absolute[2] ?? "");
  }
  if (!pathAndQuery.startsWith("/")) return { ok: false, message: "The request target is not a valid URL." };
  if (!HOST_PATTERN.test(host)) return { ok: false, message: "The Host header is not a valid host name." };
  const port = Number(/:(\d+)$/.exec(host)?.[1] ?? "80");
  if (port < 1 || port > 65_535) return { ok: false, message: "The Host header is not a valid host name." };

  const queryAt = pathAndQuery.indexOf("?");
  const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  const query = queryAt === -1 ? "" : pathAndQuery.slice(queryAt + 1);
  const key = decode(path.slice(1));
  if (key === undefined) return { ok: false, message: "The path is not validly percent-encoded." };
  const pairs = query.split("&").filter((pair) => pair !== "");
  // Only the whitelisted parameters are decoded (for the origin request); the rest are opaque.
  for (const pair of pairs.filter(isCacheKeyParam)) {
    if (decode(paramValue(pair).replace(/\+/g, " ")) === undefined)
      return { ok: false, message: "The query string is not validly percent-encoded." };
  }
  const lowerHost = host.toLowerCase().replace(/:80$/, "");
  return { ok: true, target: { origin: `http://${lowerHost}`, path, key, pairs } };
}

/** The URL CloudFront checks a signature against: the request without the signing parameters. */
export function resourceUrl(target: EdgeTarget): string {
  const kept = target.pairs.filter(
    (pair) => !(SIGNING_PARAMETERS as readonly string[]).includes(nameOf(pair)),
  );
  return `${target.origin}${target.path}${kept.length ? `?${kept.join("&")}` : ""}`;
}

/** The signing parameters by name (the last one wins, as a repeated parameter cannot verify twice). */
export function signingParams(target: EdgeTarget): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of target.pairs) {
    if ((SIGNING_PARAMETERS as readonly string[]).includes(nameOf(pair)))
      params.set(nameOf(pair), paramValue(pair));
  }
  return params;
}

/**
 * The cache key of the deployed cache policy: the path plus the whitelisted query strings and
 * nothing else (no header, no cookie). Kept as sent, in the order sent, names and values
 * case-sensitive: the CloudFront Developer Guide ("Cache content based on query string parameters",
 * Optimize caching) says a different order or a different case caches a separate object. A name in
 * another case (`VersionId`) is not the whitelisted one, so it neither keys nor reaches the origin.
 */
export function cacheKey(target: EdgeTarget): string {
  const kept = target.pairs.filter(isCacheKeyParam);
  return kept.length ? `${target.path}?${kept.join("&")}` : target.path;
}

/**
 * The whitelisted query strings decoded for the origin request, which the cache policy also sends
 * to the origin (CachePolicyQueryStringsConfig, `whitelist`). `+` is a space, as S3 reads a query
 * string. A name sent twice keeps its first value: the presigned origin request carries one.
 */
export function originQuery(target: EdgeTarget): Record<string, string> {
  const query: Record<string, string> = {};
  for (const pair of target.pairs.filter(isCacheKeyParam)) {
    const name = nameOf(pair);
    if (!(name in query)) query[name] = decodeURIComponent(paramValue(pair).replace(/\+/g, " "));
  }
  return query;
}
