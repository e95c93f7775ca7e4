import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { CACHE_KEY_QUERY_PARAMS } from "../../functions/api/read-query";
import { CDN_CORS } from "../policies/cdn-cors";
import { type ChildScope, keepName, type Scope } from "./names";

/**
 * AWS's managed origin request policy CORS-S3Origin: forwards `Origin`,
 * `Access-Control-Request-Headers` and `Access-Control-Request-Method` to S3, and no cookies or
 * query strings of its own (CloudFront Developer Guide, "Use managed origin request policies").
 */
export const CORS_S3_ORIGIN_REQUEST_POLICY_ID = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf";

/**
 * How long an object version stays at the edge: a year. Every read URL names one version
 * (`versionId`, or `etag` on an unversioned bucket) and the cache key holds it, so a cached body is
 * never stale; an overwrite or a delete gives the next read a new key or a 404 from the function.
 * A long TTL never extends access: CloudFront checks a signed URL's signature and expiry on every
 * request, before it serves the file from its cache or asks the origin (CloudFront Developer Guide,
 * "Use signed URLs": "How signed URLs work" and "When CloudFront checks the expiration date and time
 * in a signed URL"). The default TTL applies when S3 sends no Cache-Control, which is the usual case;
 * an object stored with its own Cache-Control is kept as it says, up to the maximum ("Understand
 * cache policies", TTL settings).
 */
export const CDN_TTL_SECONDS = { min: 0, default: 31_536_000, max: 31_536_000 } as const;

export interface CdnPolicies {
  readonly cachePolicy: aws.cloudfront.CachePolicy;
  readonly responseHeadersPolicy: aws.cloudfront.ResponseHeadersPolicy;
}

/**
 * The cache policy and the response headers policy: the same for every store, so an account can
 * create them once and every store use them (CloudFront Developer Guide, "Quotas": 20 custom cache
 * policies and 20 custom response headers policies per account).
 */
export function createCdnPolicies({ name, names, parent }: Scope): CdnPolicies {
  // The cache key is the path plus exactly the read URL's own parameters; the signature parameters
  // (Expires, Signature, Key-Pair-Id, Hash-Algorithm) stay out of it, so every URL signed for one
  // version shares one cached copy. Query strings in the cache key are also forwarded to S3, which
  // is how `versionId` and `response-content-disposition` reach it (CloudFront Developer Guide,
  // "Understand cache policies", "Cache key settings": query strings "Include specified query
  // strings"). No header or cookie varies the response, and compressed copies are keyed on
  // Accept-Encoding so the behavior's `compress` applies.
  const cachePolicy = new aws.cloudfront.CachePolicy(
    `${name}-cache-policy`,
    {
      name: names.derived("cache", 128),
      comment: `${name}: one cached copy per object version`,
      minTtl: CDN_TTL_SECONDS.min,
      defaultTtl: CDN_TTL_SECONDS.default,
      maxTtl: CDN_TTL_SECONDS.max,
      parametersInCacheKeyAndForwardedToOrigin: {
        queryStringsConfig: {
          queryStringBehavior: "whitelist",
          queryStrings: { items: [...CACHE_KEY_QUERY_PARAMS] },
        },
        headersConfig: { headerBehavior: "none" },
        cookiesConfig: { cookieBehavior: "none" },
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      },
    },
    { parent, ...keepName() },
  );
  // CloudFront does not answer a CORS preflight itself: with OPTIONS allowed it checks the signed
  // URL (a preflight carries the same query string) and forwards the request to S3, which answers
  // from the bucket's CORS rules only if it receives `Origin` and `Access-Control-Request-*`; the
  // CORS-S3Origin origin request policy forwards exactly those (CloudFront Developer Guide,
  // "Configuring CloudFront to respect CORS settings"). The response headers policy then puts the
  // CDN's own CORS headers on every answer, replacing S3's ("Understand response headers policies",
  // CORS headers, Origin override).
  const responseHeadersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
    `${name}-cdn-cors`,
    {
      name: names.derived("cors", 128),
      comment: `${name}: cross-origin downloads from any origin, without credentials`,
      corsConfig: {
        accessControlAllowCredentials: false,
        accessControlAllowOrigins: { items: [...CDN_CORS.allowOrigins] },
        accessControlAllowMethods: { items: [...CDN_CORS.allowMethods] },
        accessControlAllowHeaders: { items: [...CDN_CORS.allowHeaders] },
        accessControlExposeHeaders: { items: [...CDN_CORS.exposeHeaders] },
        accessControlMaxAgeSec: CDN_CORS.maxAgeSeconds,
        originOverride: true,
      },
    },
    { parent, ...keepName() },
  );
  return { cachePolicy, responseHeadersPolicy };
}

/** What the distribution takes from the store's own resources or from the account's. */
export interface DeliveryInputs {
  readonly cachePolicyId: pulumi.Input<string>;
  readonly responseHeadersPolicyId: pulumi.Input<string>;
  /**
   * The key groups every behavior trusts: the signing one first, then, while a store moves to the
   * account's keys, its own earlier one (at most four per behavior, CloudFront Developer Guide,
   * "Quotas on key groups").
   */
  readonly keyGroupIds: ReadonlyArray<pulumi.Input<string>>;
}

/** CloudFront reads the bucket through OAC, serves only signed URLs and caches each version once. */
export function createDelivery(
  { name, names, config, parent }: ChildScope,
  bucket: aws.s3.Bucket,
  inputs: DeliveryInputs,
): aws.cloudfront.Distribution {
  const oac = new aws.cloudfront.OriginAccessControl(
    `${name}-oac`,
    {
      name: names.derived("oac", 64),
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
      description: `${name} bucket access`,
    },
    { parent, ...keepName() },
  );
  const originId = "bucket";
  return new aws.cloudfront.Distribution(
    `${name}-cdn`,
    {
      enabled: true,
      comment: `${name} signed downloads`,
      httpVersion: "http2and3",
      isIpv6Enabled: true,
      priceClass: config.priceClass,
      aliases: config.customDomain?.aliases ?? [],
      origins: [{ originId, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
      defaultCacheBehavior: {
        targetOriginId: originId,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD", "OPTIONS"],
        // S3's answer to a preflight depends on headers the cache key leaves out, so preflights are
        // never cached.
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: inputs.cachePolicyId,
        originRequestPolicyId: CORS_S3_ORIGIN_REQUEST_POLICY_ID,
        responseHeadersPolicyId: inputs.responseHeadersPolicyId,
        trustedKeyGroups: [...inputs.keyGroupIds],
        compress: true,
      },
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: config.customDomain
        ? {
            acmCertificateArn: config.customDomain.certificateArn,
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: "TLSv1.2_2021",
          }
        : { cloudfrontDefaultCertificate: true },
      tags: config.tags,
    },
    { parent },
  );
}
