import { NotFound, ServiceUnavailable } from "../api/http-error";
import type { HandlerConfig } from "../config";
import type { FunctionUrlResult } from "../http/function-url";
import { jsonResponse, redirect, wantsJson } from "../http/responses";
import type { ObjectInfo, ObjectLookup } from "../s3/objects";
import { type CloudFrontSigningKey, signCloudFrontUrl } from "../signers/cloudfront-signer";
import { SignedUrlMemo } from "../signers/signed-url-memo";
import { millisSince } from "../telemetry/elapsed";
import type { Trace } from "../telemetry/metrics";
import type { Operation } from "./operations";
import { alignedExpiry, parseDownloadName, parseExpires, readResource, redirectMaxAge } from "./read-url";

type ReadOperation = Extract<Operation, { kind: "read" }>;

export interface ReadDeps {
  readonly config: HandlerConfig;
  readonly objects: ObjectLookup;
  readonly signingKey: () => Promise<CloudFrontSigningKey>;
}

/**
 * Reads are pinned to a version: the object is looked up first, so a missing or deleted key is a
 * 404 from here, and the URL names the version found, so the CDN caches every version once and
 * no read through the API is stale after an overwrite or a delete.
 */
export function createReads(deps: ReadDeps) {
  const { config } = deps;
  const signed = new SignedUrlMemo();

  async function lookup(key: string, versionId: string | undefined): Promise<ObjectInfo> {
    const object = await deps.objects.head(key, versionId);
    if (object) return object;
    if (versionId !== undefined) {
      throw new NotFound(
        "NoSuchVersion",
        `no version ${versionId} of ${key} to read (or it is a delete marker)`,
      );
    }
    throw new NotFound("NoSuchKey", `no object at ${key}`);
  }

  return async function read(
    operation: ReadOperation,
    key: string,
    accept: string | undefined,
    now: Date,
    trace: Trace,
  ): Promise<FunctionUrlResult> {
    // Both are checked before the lookup, so a bad request costs no call to S3.
    const expirySeconds =
      operation.expires === undefined
        ? config.expirySeconds
        : parseExpires(operation.expires, config.maxReadExpirySeconds);
    const downloadName = operation.download === undefined ? undefined : parseDownloadName(operation.download);
    // The key is read while S3 looks the object up: on a cold start both are a round trip.
    const signingKey = deps.signingKey();
    signingKey.catch(() => {});
    const object = await lookup(key, operation.versionId);
    if (operation.method === "HEAD" && wantsJson(accept)) {
      // A HEAD answer has no body on the wire (RFC 9110, 9.3.2), so the metadata also travels in
      // headers; the body is there for callers that invoke the function directly.
      return jsonResponse(200, describe(object), objectHeaders(object));
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const signer = await signingKey;
    const expires = cappedExpiry(alignedExpiry(nowSeconds, expirySeconds), signer, nowSeconds);
    const resource = readResource(config.cdnBaseUrl, object, downloadName);
    const started = process.hrtime.bigint();
    const url = signed.get(resource, expires, signer.keyPairId, nowSeconds, () =>
      signCloudFrontUrl(resource, signer, expires, config.hashAlgorithm),
    );
    trace.signingMs += millisSince(started);
    // The JSON answer is built only when asked for: most reads are a browser following the 307.
    if (!wantsJson(accept)) return redirect(url, `private, max-age=${redirectMaxAge(nowSeconds, expires)}`);
    return jsonResponse(200, {
      method: operation.method,
      url,
      headers: {},
      expiresAt: new Date(expires * 1000).toISOString(),
      object: describe(object),
    });
  };
}

/** A read URL shorter than this is not worth handing out: a browser could not even follow it. */
export const MIN_READ_URL_SECONDS = 60;

/**
 * A rotating key may leave the key group at the first deploy of its third period after it began to
 * sign (components/args/key-schedule.ts), so no URL it signs may outlive that: CloudFront refuses a
 * URL whose Key-Pair-Id is in no trusted key group (CloudFront Developer Guide, "Specify signers
 * that can create signed URLs and signed cookies"). Deployed at least once a period, a function
 * never comes near it; after a longer gap it hands out shorter URLs, then none, until a deploy
 * brings a newer key, rather than URLs that break before they say.
 */
export function cappedExpiry(expires: number, signer: CloudFrontSigningKey, nowSeconds: number): number {
  if (signer.retiresAt === undefined || expires <= signer.retiresAt) return expires;
  if (signer.retiresAt - nowSeconds < MIN_READ_URL_SECONDS) {
    throw new ServiceUnavailable(
      "this store's signing key is due to leave its key group: the stack needs a deploy (pulumi up) to rotate to a newer key",
      300,
      `retiresAt ${new Date(signer.retiresAt * 1000).toISOString()}`,
      "SigningKeyRetiring",
    );
  }
  return signer.retiresAt;
}

/** The JSON shape of an object: fields in a fixed order, absent when unknown. */
export function describe(object: ObjectInfo): ObjectInfo {
  return {
    key: object.key,
    size: object.size,
    etag: object.etag,
    ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
    ...(object.contentType === undefined ? {} : { contentType: object.contentType }),
    ...(object.lastModified === undefined ? {} : { lastModified: object.lastModified }),
    ...(object.contentDisposition === undefined ? {} : { contentDisposition: object.contentDisposition }),
    ...(object.checksum === undefined ? {} : { checksum: object.checksum }),
  };
}

/** Header values must be ISO-8859-1 and free of control characters: keys and names are percent-encoded. */
function objectHeaders(object: ObjectInfo): Record<string, string> {
  return {
    "object-key": encodeURIComponent(object.key),
    "object-size": String(object.size),
    "object-etag": object.etag,
    ...(object.versionId === undefined ? {} : { "object-version-id": object.versionId }),
    ...(object.contentType === undefined ? {} : { "object-content-type": object.contentType }),
    ...(object.lastModified === undefined
      ? {}
      : { "object-last-modified": new Date(object.lastModified).toUTCString() }),
    ...(object.contentDisposition === undefined
      ? {}
      : { "object-content-disposition": encodeURIComponent(object.contentDisposition) }),
    ...(object.checksum === undefined
      ? {}
      : {
          "object-checksum-algorithm": object.checksum.algorithm,
          "object-checksum-type": object.checksum.type,
          "object-checksum": object.checksum.value,
        }),
  };
}
