import type { IncomingMessage, ServerResponse } from "node:http";

export interface CorsRule {
  /** Allowed origins, or `["*"]`. Empty means no cross-origin access. */
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAgeSeconds?: number;
}

function allowedOrigin(rule: CorsRule, origin: string | undefined): string | undefined {
  if (!origin || rule.origins.length === 0) return undefined;
  if (rule.origins.includes("*")) return "*";
  return rule.origins.includes(origin) ? origin : undefined;
}

/**
 * Answers a preflight (returns true when it did) or adds the CORS headers to a real response, as
 * function URLs, S3 and CloudFront response headers policies do for the configured origins.
 */
export function applyCors(rule: CorsRule, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = allowedOrigin(rule, req.headers.origin);
  const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
  if (origin) {
    res.setHeader("access-control-allow-origin", origin);
    if (origin !== "*") res.setHeader("vary", "Origin");
    if (rule.exposeHeaders?.length)
      res.setHeader("access-control-expose-headers", rule.exposeHeaders.join(", "));
  }
  if (!preflight) return false;
  const method = String(req.headers["access-control-request-method"]).toUpperCase();
  if (origin && rule.methods.includes(method)) {
    res.setHeader("access-control-allow-methods", rule.methods.join(", "));
    const requested = req.headers["access-control-request-headers"];
    if (requested) res.setHeader("access-control-allow-headers", requested);
    res.setHeader("access-control-max-age", String(rule.maxAgeSeconds ?? 600));
    res.writeHead(204).end();
  } else {
    res.writeHead(403, { "content-type": "text/plain" }).end("CORS preflight refused");
  }
  return true;
}
