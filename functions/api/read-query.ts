/**
 * The query parameters of a read URL that the CDN keys its cache on and forwards to S3. The
 * deployed cache policy lists exactly these, and the local edge builds its cache key from them, so
 * a URL names one object version and one response shape, and nothing else of the query string
 * (the signing parameters above all) splits the cache.
 */
/** S3's own parameter: GetObject of that exact version (needs s3:GetObjectVersion). */
export const VERSION_PARAM = "versionId";
/**
 * For a bucket without versioning: the object's ETag (without quotes), so that an overwrite gives a
 * new cache key. S3 ignores query parameters it does not know.
 */
export const CONTENT_TAG_PARAM = "etag";
/** S3's response header override, honoured on signed requests only (OAC signs every origin request). */
export const DISPOSITION_PARAM = "response-content-disposition";

export const CACHE_KEY_QUERY_PARAMS = [VERSION_PARAM, CONTENT_TAG_PARAM, DISPOSITION_PARAM] as const;
