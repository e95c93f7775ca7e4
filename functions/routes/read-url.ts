import { BadRequest } from "../api/http-error";
import { encodeKeyPath, hasControlCharacter, strictEncode } from "../api/object-key";
import { CONTENT_TAG_PARAM, DISPOSITION_PARAM, VERSION_PARAM } from "../api/read-query";
import type { ObjectInfo } from "../s3/objects";

/**
 * The unsigned part of a read URL: the object's path, then the version it pins, then the download
 * name. CloudFront keys its cache on the query string in the order it is written (Developer Guide,
 * "Caching content based on query string parameters": "The order of parameters matters"), so the
 * order here is fixed and every read of one version with one download name shares a cache entry.
 */
export function readResource(cdnBaseUrl: string, object: ObjectInfo, downloadName?: string): string {
  const pin = object.versionId
    ? `${VERSION_PARAM}=${strictEncode(object.versionId)}`
    : `${CONTENT_TAG_PARAM}=${strictEncode(object.etag.replace(/"/g, ""))}`;
  const disposition =
    downloadName === undefined ? "" : `&${DISPOSITION_PARAM}=${strictEncode(attachment(downloadName))}`;
  return `${cdnBaseUrl}/${encodeKeyPath(object.key)}?${pin}${disposition}`;
}

/**
 * `attachment; filename*=UTF-8''NAME` with NAME percent-encoded as RFC 8187 requires (every byte
 * outside attr-char, so `'`, `(`, `)` and `*` too, which is what strictEncode escapes).
 */
export function attachment(name: string): string {
  return `attachment; filename*=UTF-8''${strictEncode(name)}`;
}

const MAX_DOWNLOAD_NAME_BYTES = 255;

/** `?download=NAME`: a file name a browser can save, not a path. */
export function parseDownloadName(value: string): string {
  const bytes = Buffer.byteLength(value, "utf8");
  if (
    bytes === 0 ||
    bytes > MAX_DOWNLOAD_NAME_BYTES ||
    hasControlCharacter(value) ||
    /[/\\]/.test(value) ||
    value === "." ||
    value === ".."
  ) {
    throw new BadRequest(
      "InvalidDownloadName",
      `download must be a file name of 1 to ${MAX_DOWNLOAD_NAME_BYTES} bytes without "/", "\\" or control characters`,
    );
  }
  return value;
}

/** `?expires=SECONDS`: a whole number of seconds up to the deployment's limit. */
export function parseExpires(value: string, maxSeconds: number): number {
  const seconds = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1 && seconds <= maxSeconds)) {
    throw new BadRequest(
      "InvalidExpires",
      `expires must be a whole number of seconds from 1 to ${maxSeconds} (this store's maxReadExpirySeconds), got "${value}"`,
    );
  }
  return seconds;
}

/**
 * Read URLs expire at the end of a fixed window rather than exactly `expiry` seconds from now, so
 * every read of one version within a window gets the same URL (and browsers reuse both the
 * redirect and the downloaded bytes). A URL is valid for at least `expiry` seconds and less than
 * `expiry` plus one window.
 */
export function windowSeconds(expirySeconds: number): number {
  return Math.min(3_600, Math.max(1, Math.floor(expirySeconds / 5)));
}

export function alignedExpiry(nowEpochSeconds: number, expirySeconds: number): number {
  const window = windowSeconds(expirySeconds);
  return Math.ceil((nowEpochSeconds + expirySeconds) / window) * window;
}

/**
 * How long a browser may reuse a read redirect: until shortly before the URL stops working, so a
 * redirect taken from the cache still has time to be followed.
 */
export function redirectMaxAge(nowEpochSeconds: number, expiresEpochSeconds: number): number {
  const remaining = expiresEpochSeconds - nowEpochSeconds;
  const margin = Math.min(60, Math.ceil(remaining / 10));
  return Math.max(0, remaining - margin);
}
