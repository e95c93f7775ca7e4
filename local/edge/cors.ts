import type { IncomingMessage, ServerResponse } from "node:http";
import type { CorsRule } from "../../components/policies/cors-rules";
import { sendXmlError } from "../http/xml";

/**
 * CORS at the edge as the deployed distribution does it. CloudFront does not answer a preflight
 * itself: with OPTIONS among the behavior's allowed methods it forwards the request, signature
 * checked like any other, to S3 with `Origin` and `Access-Control-Request-*` (CloudFront Developer
 * Guide, "Configuring CloudFront to respect CORS settings"); S3 answers it from the bucket's CORS
 * rules, 200 when one matches and 403 otherwise (S3 API Reference, "OPTIONS object"); then the
 * response headers policy puts its own CORS headers on that answer, replacing S3's with origin
 * override ("Understand response headers policies", CORS headers). The policy adds
 * `Access-Control-Allow-Methods`, `-Allow-Headers` and `-Max-Age` to preflight answers only, and
 * touches responses served from the cache or forwarded from the origin, not CloudFront's own errors
 * ("Add or remove HTTP headers in CloudFront responses with a policy").
 *
 * The bucket's read rule allows `bucketMethods` with any header from any origin, so S3's verdict
 * depends on the requested method alone; it is computed here rather than asked of the local
 * storage, whose CORS rule is the upload one.
 */
export interface EdgeCorsPolicy {
  readonly rule: CorsRule;
  readonly bucketMethods: readonly string[];
}

function allowOrigin(rule: CorsRule, origin: string): string | undefined {
  if (rule.allowOrigins.includes("*")) return "*";
  return rule.allowOrigins.includes(origin) ? origin : undefined;
}

/** The response headers policy's CORS headers for a request that carries `Origin`. */
export function corsHeaders(
  policy: EdgeCorsPolicy,
  req: IncomingMessage,
  preflight: boolean,
): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined) return {};
  const allowed = allowOrigin(policy.rule, origin);
  if (!allowed) return {};
  const headers: Record<string, string> = { "access-control-allow-origin": allowed };
  if (allowed !== "*") headers.vary = "Origin";
  if (preflight) {
    headers["access-control-allow-methods"] = policy.rule.allowMethods.join(", ");
    if (policy.rule.allowHeaders.length)
      headers["access-control-allow-headers"] = policy.rule.allowHeaders.join(", ");
    headers["access-control-max-age"] = String(policy.rule.maxAgeSeconds);
  } else if (policy.rule.exposeHeaders.length) {
    headers["access-control-expose-headers"] = policy.rule.exposeHeaders.join(", ");
  }
  return headers;
}

/** S3's answer to a verified OPTIONS request, with the policy's headers on top. */
export function answerPreflight(policy: EdgeCorsPolicy, req: IncomingMessage, res: ServerResponse): void {
  const method = req.headers["access-control-request-method"];
  if (req.headers.origin === undefined) {
    sendXmlError(res, 400, "BadRequest", "Insufficient information. Origin request header needed.");
    return;
  }
  if (method === undefined || !policy.bucketMethods.includes(method)) {
    sendXmlError(
      res,
      403,
      "AccessForbidden",
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
      corsHeaders(policy, req, true),
    );
    return;
  }
  res.writeHead(200, { "content-length": 0, ...corsHeaders(policy, req, true) }).end();
}
