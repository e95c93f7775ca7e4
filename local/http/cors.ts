import type { IncomingMessage, ServerResponse } from "node:http";
import type { CorsRule } from "../../components/policies/cors-rules";

export type { CorsRule } from "../../components/policies/cors-rules";

function allowedOrigin(rule: CorsRule, origin: string | undefined): string | undefined {
  if (!origin || rule.allowOrigins.length === 0) return undefined;
  if (rule.allowOrigins.includes("*")) return "*";
  return rule.allowOrigins.includes(origin) ? origin : undefined;
}

/**
 * Answers a preflight (returns true when it did) or adds the CORS headers to a real response, as
 * function URLs, S3 bucket CORS and CloudFront response headers policies do for the same rule.
 * A preflight asking for a method or header outside the rule is refused, as S3 refuses it.
 */
export function applyCors(rule: CorsRule, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = allowedOrigin(rule, req.headers.origin);
  const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
  if (origin) {
    res.setHeader("access-control-allow-origin", origin);
    if (origin !== "*") res.setHeader("vary", "Origin");
    if (!preflight && rule.exposeHeaders.length)
      res.setHeader("access-control-expose-headers", rule.exposeHeaders.join(", "));
  }
  if (!preflight) return false;
  const method = String(req.headers["access-control-request-method"]).toUpperCase();
  const requested = String(req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const headersAllowed = requested.every(
    (h) => rule.allowHeaders.includes(h) || rule.allowHeaders.includes("*"),
  );
  if (origin && rule.allowMethods.includes(method) && headersAllowed) {
    res.setHeader("access-control-allow-methods", rule.allowMethods.join(", "));
    if (rule.allowHeaders.length) res.setHeader("access-control-allow-headers", rule.allowHeaders.join(", "));
    res.setHeader("access-control-max-age", String(rule.maxAgeSeconds));
    res.writeHead(204).end();
  } else {
    res.writeHead(403, { "content-type": "text/plain" }).end("CORS preflight refused");
  }
  return true;
}
