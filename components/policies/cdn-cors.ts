import type { CorsRule } from "./cors-rules";

/**
 * The CDN's CORS, the same for every stack: any origin, no credentials. A signed read URL is itself
 * the capability, so the page that holds one may read with it from anywhere, and a download that a
 * browser reaches through the function URL's 307 arrives with `Origin: null` (a cross-origin
 * redirect taints the origin), which only `*` admits.
 *
 * Deployed as a response headers policy on the CDN's behavior (with origin override, so S3's own
 * CORS answer is replaced by this one), an origin request policy that forwards `Origin`,
 * `Access-Control-Request-Method` and `Access-Control-Request-Headers` to S3 for preflights, and a
 * bucket CORS rule allowing GET and HEAD from any origin with any header, so S3 accepts every
 * preflight this rule accepts. The local edge applies the same data.
 */
export const CDN_CORS: CorsRule = {
  allowOrigins: ["*"],
  allowMethods: ["GET", "HEAD", "OPTIONS"],
  // Conditional and ranged reads: a resumed download sends Range with If-Range, a revalidation
  // If-None-Match or If-Modified-Since; If-Range and the If-* headers are not CORS-safelisted.
  allowHeaders: [
    "range",
    "if-range",
    "if-none-match",
    "if-match",
    "if-modified-since",
    "if-unmodified-since",
  ],
  exposeHeaders: [
    "etag",
    "content-length",
    "content-range",
    "content-disposition",
    "content-type",
    "x-amz-version-id",
    "last-modified",
    "accept-ranges",
  ],
  maxAgeSeconds: 600,
};

/** Methods the bucket's read CORS rule allows from any origin (the CDN forwards preflights to it). */
export const CDN_BUCKET_READ_METHODS: readonly string[] = ["GET", "HEAD"];
