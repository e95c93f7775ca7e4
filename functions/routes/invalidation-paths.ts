import { encodeKeyPath } from "../api/object-key";

/**
 * CloudFront works on at most 15 wildcard paths of one distribution at a time ("Quotas on
 * invalidations": "Concurrent invalidation request maximum", active wildcard paths); a request
 * past it is refused. A wildcard path is billed as one path however many files it drops ("Pay for
 * file invalidation"), so merging paths never costs more.
 */
export const MAX_WILDCARD_PATHS = 15;

/**
 * The part of `key` an invalidation names: all of it, or up to its first `~`. CloudFront wants RFC
 * 1738's unsafe characters encoded in invalidation paths ("What you need to know when invalidating
 * files"), and read URLs leave `~` as it is; a path that stops before it covers the key whichever
 * form CloudFront compares.
 */
function coveredPart(key: string): string {
  const tilde = key.indexOf("~");
  return tilde === -1 ? key : key.slice(0, tilde);
}

const pathOf = (basePath: string, keyPrefix: string) => `${basePath}/${encodeKeyPath(keyPrefix)}*`;

/**
 * The path that drops every cached copy of `key`: the key's path as read URLs write it (the cache
 * key holds it as the viewer sent it), then `*`, since the cache key also carries the versionId,
 * etag and response-content-disposition query strings ("Forwarding query strings": "use the *
 * wildcard").
 */
export function keyInvalidationPath(basePath: string, key: string): string {
  return pathOf(basePath, coveredPart(key));
}

/** The common start of two keys, in whole characters, so that its encoding is whole UTF-8 sequences. */
function commonStart(a: string, b: string): string {
  const x = Array.from(a);
  const y = Array.from(b);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return x.slice(0, n).join("");
}

/**
 * Sorted, without prefixes another one covers. In sorted order a string's prefixes come before it
 * and everything between them shares the prefix, so comparing with the last one kept is enough.
 */
function minimal(prefixes: readonly string[]): string[] {
  const kept: string[] = [];
  for (const p of [...new Set(prefixes)].sort()) {
    const last = kept.at(-1);
    if (last === undefined || !p.startsWith(last)) kept.push(p);
  }
  return kept;
}

/**
 * The invalidation paths for `keys` under the CDN's base path (`""` for a distribution's own
 * domain): one per key, or, past `max`, the two closest (the longest common start; in sorted
 * order they are neighbours) merged into their common prefix until `max` are left. Merging drops
 * more cached copies than asked, which costs cache misses only.
 */
export function invalidationPaths(
  basePath: string,
  keys: readonly string[],
  max = MAX_WILDCARD_PATHS,
): string[] {
  const prefixes = minimal(keys.map(coveredPart));
  const shared = (i: number) => commonStart(prefixes[i] ?? "", prefixes[i + 1] ?? "");
  const lengths = prefixes.slice(0, -1).map((_, i) => Array.from(shared(i)).length);
  while (prefixes.length > max) {
    let best = 0;
    for (let i = 1; i < lengths.length; i++) if ((lengths[i] ?? 0) > (lengths[best] ?? 0)) best = i;
    const merged = shared(best);
    // The merged prefix also covers the keys after the pair that start with it.
    let end = best + 2;
    while (end < prefixes.length && (prefixes[end] ?? "").startsWith(merged)) end++;
    prefixes.splice(best, end - best, merged);
    lengths.splice(
      best,
      end - best,
      ...(best + 1 < prefixes.length ? [Array.from(shared(best)).length] : []),
    );
    if (best > 0) lengths[best - 1] = Array.from(shared(best - 1)).length;
  }
  return prefixes.map((p) => pathOf(basePath, p));
}

/** The path of the CDN's base URL, which every read URL's path starts with (`""` for none). */
export function cdnBasePath(cdnBaseUrl: string): string {
  return new URL(cdnBaseUrl).pathname.replace(/\/+$/, "");
}
