import {
  CHECKSUM_ALGORITHM_HEADER,
  CHECKSUM_HEADERS,
  CHECKSUM_TYPE_HEADER,
} from "../../functions/api/checksums";
import { METADATA_PREFIX } from "../../functions/api/upload-rules";

/**
 * One list of allowed origins becomes two CORS configurations: the function URL (the API calls) and
 * the bucket (presigned PUT and DELETE, with ETag exposed so multipart clients can read each part's
 * ETag). The CDN's CORS does not depend on it (components/policies/cdn-cors.ts). Plain data, shared by the
 * component and the local stack.
 */
export interface CorsRule {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

export interface CorsRules {
  readonly api: CorsRule;
  readonly bucket: CorsRule;
}

/**
 * The checksum headers a write carries: to the function, which signs the value into the presigned
 * URL, and then to S3 itself, which verifies the bytes against it.
 */
const CHECKSUM_VALUE_HEADERS = Object.values(CHECKSUM_HEADERS);

/**
 * Headers an upload may carry to S3; each is signed into the URL when given. User metadata names
 * are the store's own (`allowedMetadata`): a header a CORS rule does not list fails the preflight.
 */
function uploadHeaders(metadataNames: readonly string[]): string[] {
  return [
    "content-type",
    "content-disposition",
    "if-none-match",
    ...CHECKSUM_VALUE_HEADERS,
    ...metadataNames.map((name) => METADATA_PREFIX + name),
  ];
}
const MAX_AGE_SECONDS = 600;

export function corsRules(allowOrigins: readonly string[], metadataNames: readonly string[] = []): CorsRules {
  const UPLOAD_HEADERS = uploadHeaders(metadataNames);
  return {
    api: {
      allowOrigins,
      allowMethods: ["GET", "HEAD", "PUT", "POST", "DELETE"],
      // Beyond the CORS-safelisted ones (Fetch Standard, "CORS-safelisted request-header"), a browser
      // asks the preflight for every header it will send: a resumed or revalidated read sends Range,
      // If-Range, If-Modified-Since or If-None-Match and often Cache-Control; a multipart upload
      // names its checksum algorithm (x-amz-checksum-algorithm) when it is created.
      allowHeaders: [
        "accept",
        "authorization",
        "cache-control",
        "range",
        "if-range",
        "if-modified-since",
        ...UPLOAD_HEADERS,
        CHECKSUM_ALGORITHM_HEADER,
        "upload-length",
        "copy-source",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
      ],
      // The metadata a JSON HEAD answers with travels in these headers (a HEAD has no body).
      exposeHeaders: [
        "location",
        "object-key",
        "object-size",
        "object-etag",
        "object-version-id",
        "object-content-type",
        "object-last-modified",
        "object-content-disposition",
        "object-checksum-algorithm",
        "object-checksum-type",
        "object-checksum",
      ],
      maxAgeSeconds: MAX_AGE_SECONDS,
    },
    bucket: {
      allowOrigins,
      allowMethods: ["PUT", "DELETE"],
      allowHeaders: UPLOAD_HEADERS,
      // A multipart client reads each part's ETag; a writer reads the version it made and the
      // checksum S3 verified and stored (Amazon S3 API Reference, "PutObject", "UploadPart": Response
      // Syntax). A browser's script sees none of them unless they are exposed.
      exposeHeaders: ["etag", "x-amz-version-id", ...CHECKSUM_VALUE_HEADERS, CHECKSUM_TYPE_HEADER],
      maxAgeSeconds: MAX_AGE_SECONDS,
    },
  };
}

/** `https://app.example.com` or `http://127.0.0.1:3001`: scheme, host and optional port, no path. */
export const ORIGIN_PATTERN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;
