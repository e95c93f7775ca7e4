import type { ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { parseRange } from "../../http/byte-range";
import type { ObjectVersion } from "../store/object-store";
import { checksumHeaders } from "./checksum-headers";
import { sendS3Error } from "./errors";
import { readableVersion, versionIdParam } from "./objects";
import { attributeHeaders, etagMatches, header, httpDate, type S3Call, type StorageContext } from "./request";

/**
 * `x-amz-checksum-mode`: "ENABLED" (in any case) asks for the object's checksum; any other value is
 * 400 InvalidRequest "Value for x-amz-checksum-mode header is invalid." (HEAD: the status without a
 * body). Returns undefined once refused.
 */
function checksumMode(call: S3Call, res: ServerResponse): boolean | undefined {
  const mode = header(call.req, "x-amz-checksum-mode");
  if (mode === undefined) return false;
  if (mode.toUpperCase() === "ENABLED") return true;
  sendS3Error(res, "InvalidRequest", { message: "Value for x-amz-checksum-mode header is invalid." });
  return undefined;
}

/** GetObject's query parameters that replace a stored header in the answer ("Overriding response header values"). */
const RESPONSE_OVERRIDES = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
} as const;

/** GetObject's conditional headers, in S3's precedence; the status to answer instead, if any. */
function conditionalStatus(call: S3Call, version: ObjectVersion): 304 | 412 | undefined {
  const seconds = (d: string) => Math.floor(new Date(d).getTime() / 1000);
  const modified = seconds(version.lastModified);
  const ifMatch = header(call.req, "if-match");
  const ifUnmodifiedSince = header(call.req, "if-unmodified-since");
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, version.etag)) return 412;
  } else if (ifUnmodifiedSince !== undefined && modified > seconds(ifUnmodifiedSince)) {
    return 412;
  }
  const ifNoneMatch = header(call.req, "if-none-match");
  const ifModifiedSince = header(call.req, "if-modified-since");
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, version.etag)) return 304;
  } else if (ifModifiedSince !== undefined && modified <= seconds(ifModifiedSince)) {
    return 304;
  }
  return undefined;
}

/** GetObject and HeadObject, of the current version or of `?versionId=`. Unknown query parameters are ignored, as S3 ignores them. */
export async function getObject(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res, key, query } = call;
  req.resume();
  const versionId = versionIdParam(call);
  if (versionId === "answered") return;
  const wantsChecksum = checksumMode(call, res);
  if (wantsChecksum === undefined) return;
  // A version removed between the lookup and the open is looked up again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const version = readableVersion(ctx, call, versionId);
    if (!version) return;
    const headers: Record<string, string | number> = {
      etag: version.etag,
      "last-modified": httpDate(version.lastModified),
      "accept-ranges": "bytes",
      "x-amz-version-id": version.versionId,
      ...attributeHeaders(version),
    };
    const conditional = conditionalStatus(call, version);
    if (conditional === 304) {
      res
        .writeHead(304, {
          etag: version.etag,
          "last-modified": httpDate(version.lastModified),
          "x-amz-version-id": version.versionId,
        })
        .end();
      return;
    }
    if (conditional === 412) {
      sendS3Error(res, "PreconditionFailed");
      return;
    }
    for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = query.get(param);
      if (value === null) continue;
      // A header value can only carry visible ASCII, tab and Latin-1; anything else (a raw UTF-8
      // file name, say: RFC 6266 wants it percent-encoded in filename*) cannot be sent back.
      if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) {
        sendS3Error(res, "InvalidArgument", {
          message: `${param} is not a valid HTTP header value`,
          details: { ArgumentName: param, ArgumentValue: value },
        });
        return;
      }
      headers[name] = value;
    }
    const range = parseRange(header(req, "range"), version.size);
    if (range === "unsatisfiable") {
      sendS3Error(res, "InvalidRange", { headers: { "content-range": `bytes */${version.size}` } });
      return;
    }
    const [start, end] = range ?? [0, version.size - 1];
    const length = version.size === 0 ? 0 : end - start + 1;
    const wantsBody = req.method !== "HEAD" && length > 0;
    const opened = wantsBody ? await ctx.store.openVersion(version) : undefined;
    if (wantsBody && !opened) continue;
    // The checksum is of the whole object: S3 reports it only when the answer is the whole object
    // (a range that covers it included), never for part of it.
    const whole = start === 0 && (version.size === 0 || end === version.size - 1);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      ...(wantsChecksum && whole ? checksumHeaders(version.checksum) : {}),
      "content-length": length,
      ...(range ? { "content-range": `bytes ${start}-${end}/${version.size}` } : {}),
    });
    if (!opened) {
      res.end();
      return;
    }
    await pipeline(opened.stream(start, end), res);
    return;
  }
  sendS3Error(res, "NoSuchKey", { details: { Key: key } });
}
