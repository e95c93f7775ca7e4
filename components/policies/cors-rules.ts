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

/** Headers an upload may carry to S3; each is signed into the URL when given. */
const UPLOAD_HEADERS = ["content-type", "content-disposition", "if-none-match", "x-amz-meta-sha256"];
const MAX_AGE_SECONDS = 600;

export function corsRules(allowOrigins: readonly string[]): CorsRules {
  return {
    api: {
      allowOrigins,
      allowMethods: ["GET", "HEAD", "PUT", "POST", "DELETE"],
      allowHeaders: [
        "accept",
        "authorization",
        ...UPLOAD_HEADERS,
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
        "object-sha256",
        "object-content-disposition",
      ],
      maxAgeSeconds: MAX_AGE_SECONDS,
    },
    bucket: {
      allowOrigins,
      allowMethods: ["PUT", "DELETE"],
      allowHeaders: UPLOAD_HEADERS,
      exposeHeaders: ["etag"],
      maxAgeSeconds: MAX_AGE_SECONDS,
    },
  };
}

/** `https://app.example.com` or `http://127.0.0.1:3001`: scheme, host and optional port, no path. */
export const ORIGIN_PATTERN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;
