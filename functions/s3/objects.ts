import { BadRequest, ServiceUnavailable } from "../api/http-error";
import type { ObjectInfo } from "../api/shapes";
import { type HttpAnswer, httpRequest } from "../http/outbound";
import type { S3Presigner } from "../signers/s3-presigner";
import { checksumFromHeaders } from "./checksum-fields";

export type { ObjectInfo } from "../api/shapes";

/** The current version of a key, or one named version; `undefined` when there is none to read. */
export interface ObjectLookup {
  head(key: string, versionId?: string): Promise<ObjectInfo | undefined>;
}

type Head = (url: URL, headers: Readonly<Record<string, string>>) => Promise<HttpAnswer>;

/**
 * HeadObject returns an object's checksum only when asked ("To retrieve the checksum, this mode
 * must be enabled", Amazon S3 API Reference, "HeadObject"). The header is signed, since S3 refuses
 * an `x-amz-*` header a presigned request did not sign.
 */
const CHECKSUM_MODE = { "x-amz-checksum-mode": "ENABLED" } as const;

const LOOKUP_TIMEOUT_MS = 5_000;

/**
 * HeadObject as one presigned HEAD over node:http (functions/http/outbound.ts says why not `fetch`),
 * rather than through the S3 client: every read makes this call, and the presigner is already
 * loaded, so the first GET of a cold start does not pay for loading the S3 client. HeadObject needs `s3:GetObject` (and
 * `s3:GetObjectVersion` with a versionId); without `s3:ListBucket` S3 answers a missing key with 403
 * rather than 404 (Amazon S3 API Reference, "HeadObject").
 */
export function s3ObjectLookup(
  presigner: S3Presigner,
  clock: () => Date,
  head: Head = (url, headers) => httpRequest(url, { method: "HEAD", headers, timeoutMs: LOOKUP_TIMEOUT_MS }),
): ObjectLookup {
  return {
    async head(key, versionId) {
      const url = await presigner.presign({
        method: "HEAD",
        key,
        query: versionId === undefined ? {} : { versionId },
        signedHeaders: CHECKSUM_MODE,
        expiresInSeconds: 60,
        now: clock(),
      });
      let response: HttpAnswer;
      try {
        response = await head(new URL(url), CHECKSUM_MODE);
      } catch (error) {
        throw new ServiceUnavailable("the object store could not be reached; try again shortly", 1, error);
      }
      return objectInfoFrom(key, versionId, response);
    },
  };
}

function objectInfoFrom(
  key: string,
  versionId: string | undefined,
  response: HttpAnswer,
): ObjectInfo | undefined {
  const status = response.status;
  // A delete marker is 404 when it is current, and 405 when it is named by versionId (Amazon S3 API
  // Reference, "HeadObject": "If the specified version is a delete marker, the response returns a
  // 405 Method Not Allowed error").
  if (status === 404 || status === 405) return undefined;
  // S3 answers a versionId it cannot parse with 400; the caller named it, so it is the caller's error.
  if (status === 400 && versionId !== undefined) {
    throw new BadRequest("InvalidVersionId", `"${versionId}" is not a version ID of this store`);
  }
  if (status === 503 || status === 500) {
    throw new ServiceUnavailable("the object store is unavailable; try again shortly", 1);
  }
  if (status !== 200) throw new Error(`HeadObject answered ${status} for a read lookup`);
  const header = (name: string): string | undefined => {
    const value = response.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
  const version = header("x-amz-version-id");
  const modified = header("last-modified");
  const checksum = checksumFromHeaders(header);
  const info: ObjectInfo = {
    key,
    size: Number(header("content-length") ?? "0"),
    etag: header("etag") ?? "",
    // A bucket that was never versioned sends no version; a suspended one sends `null` for objects
    // written while suspended. Neither names a version a URL can pin.
    ...(version && version !== "null" ? { versionId: version } : {}),
    ...(header("content-type") ? { contentType: header("content-type") } : {}),
    ...(modified ? { lastModified: new Date(modified).toISOString() } : {}),
    ...(header("content-disposition") ? { contentDisposition: header("content-disposition") } : {}),
    ...(checksum ? { checksum } : {}),
  };
  return info;
}
