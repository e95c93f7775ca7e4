import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";
import { Forbidden, ServiceUnavailable, Unauthorized } from "../api/http-error";
import { errorDetail, jsonLogger, type Logger } from "../telemetry/log";
import { type Action, expandRules, keyHasPrefix } from "./access-rules";
import { type AuthSettings, DEFAULT_JWT_ALGORITHMS, JWKS_TIMINGS, type JwksTimings } from "./settings";

export type { AuthMode, AuthSettings, JwtSettings } from "./settings";
export { DEFAULT_JWT_ALGORITHMS, JWKS_TIMINGS } from "./settings";

type Jose = typeof import("jose");
let jose: Promise<Jose> | undefined;
/**
 * jose is as large as the rest of the function, and only jwt mode uses it: the bundle builds it as a
 * CommonJS file of its own (components/bundle/function-bundle.ts), required on the first jwt request. `require`
 * rather than `import()`, which would start Node's ES module loader on that request as well.
 */
const loadJose = (): Promise<Jose> => {
  jose ??= Promise.resolve()
    .then(() => require("jose") as Jose)
    .catch((error: unknown) => {
      jose = undefined;
      throw error;
    });
  return jose;
};

export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** From `requestContext.authorizer.iam`, present when the function URL's auth type is AWS_IAM. */
  readonly iamCaller?: string;
}

/** Who is asking, for the log line: never a token. */
export interface Principal {
  readonly kind: "iam" | "jwt" | "public" | "anonymous";
  readonly id: string;
}

const REALM = 'Bearer realm="signed-file-store"';

/** Where a principal may do an action: everywhere, or under these key prefixes only. */
export interface Reach {
  readonly principal: Principal;
  readonly prefixes: "all" | readonly string[];
}

export interface Authorizer {
  /** Resolves with the principal when it may do `action` to `key`; rejects with 401 or 403. */
  authorize(request: AuthRequest, action: Action, key: string): Promise<Principal>;
  /**
   * Where the caller may do `action` at all, for requests that name many keys (a listing, a batch
   * delete); rejects with 401 when the caller cannot be identified and has no anonymous reach.
   */
  reach(request: AuthRequest, action: Action): Promise<Reach>;
}

/** Whether `reach` covers `key` (already validated, so a prefix test is sound). */
export function reaches(reach: Reach, key: string): boolean {
  return reach.prefixes === "all" || keyHasPrefix(key, reach.prefixes);
}

export function createAuthorizer(
  settings: AuthSettings,
  publicReadPrefixes: readonly string[],
  clock: () => Date,
  jwks?: JWTVerifyGetKey,
  log: Logger = jsonLogger(),
): Authorizer {
  const anonymousRead = (action: Action, key: string) =>
    action === "read" && keyHasPrefix(key, publicReadPrefixes);
  const ANONYMOUS: Principal = { kind: "anonymous", id: "anonymous" };
  const anonymousReach = (action: Action): Reach | undefined =>
    action === "read" && publicReadPrefixes.length > 0
      ? { principal: ANONYMOUS, prefixes: publicReadPrefixes }
      : undefined;
  switch (settings.mode) {
    case "public": {
      const principal: Principal = { kind: "public", id: "public" };
      return { authorize: async () => principal, reach: async () => ({ principal, prefixes: "all" }) };
    }
    case "iam": {
      // Only reachable when the function URL is not AWS_IAM: refuse rather than trust the caller.
      const unsigned = () =>
        new Unauthorized("this API requires AWS SigV4-signed requests", "AWS4-HMAC-SHA256");
      return {
        async authorize(request, action, key) {
          if (request.iamCaller) return { kind: "iam", id: request.iamCaller };
          if (anonymousRead(action, key)) return ANONYMOUS;
          throw unsigned();
        },
        async reach(request, action) {
          if (request.iamCaller)
            return { principal: { kind: "iam", id: request.iamCaller }, prefixes: "all" };
          const anonymous = anonymousReach(action);
          if (anonymous) return anonymous;
          throw unsigned();
        },
      };
    }
    case "jwt": {
      const keySet = jwks ?? resilientJwks(new URL(settings.jwksUrl), clock, log);
      const algorithms = [...(settings.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
      const { issuer, audience, rules } = settings;
      async function verifiedClaims(request: AuthRequest): Promise<Record<string, unknown>> {
        const token = bearerToken(request.headers.authorization);
        const { jwtVerify, errors } = await loadJose();
        try {
          const verified = await jwtVerify(token, keySet, {
            issuer,
            audience,
            algorithms,
            currentDate: clock(),
          });
          return verified.payload;
        } catch (error) {
          const reason = tokenProblem(error, errors);
          // Anything else (the issuer's JWKS unreachable: a 503 from resilientJwks) is not the caller's fault.
          if (reason === undefined) throw error;
          throw new Unauthorized(
            `the bearer token was refused: ${reason}`,
            `${REALM}, error="invalid_token", error_description="${reason}"`,
          );
        }
      }
      const principalOf = (claims: Record<string, unknown>): Principal => ({
        kind: "jwt",
        id: typeof claims.sub === "string" ? claims.sub : "unknown",
      });
      return {
        async authorize(request, action, key) {
          if (anonymousRead(action, key)) return ANONYMOUS;
          const claims = await verifiedClaims(request);
          const allowed = expandRules(rules, claims)[action];
          if (!keyHasPrefix(key, allowed)) {
            throw new Forbidden(`this token may not ${action} ${JSON.stringify(key)}`);
          }
          return principalOf(claims);
        },
        async reach(request, action) {
          const anonymous = anonymousReach(action);
          if (anonymous && request.headers.authorization === undefined) return anonymous;
          const claims = await verifiedClaims(request);
          const own = expandRules(rules, claims)[action];
          const prefixes = anonymous ? [...new Set([...own, ...publicReadPrefixes])] : own;
          return { principal: principalOf(claims), prefixes };
        },
      };
    }
  }
}

function bearerToken(header: string | undefined): string {
  const match = header ? /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new Unauthorized(
      header ? "the Authorization header is not a bearer token" : "a bearer token is required",
      header ? `${REALM}, error="invalid_request"` : REALM,
    );
  }
  return match[1];
}

/**
 * A fixed description per class of bad token, or undefined when the failure is not the token's
 * fault. Never echoes the token or jose's message text.
 */
function tokenProblem(error: unknown, errors: Jose["errors"]): string | undefined {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return "the token is not valid yet";
      case "iss":
        return "the token has the wrong issuer";
      case "aud":
        return "the token has the wrong audience";
      default:
        return `the token's ${error.claim} claim is not valid`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return "the token's algorithm is not allowed";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return "no single key in the issuer's key set matches the token";
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return "the token is malformed";
  return undefined;
}

/**
 * The issuer's key set, fetched on first use and refreshed like jose's createRemoteJWKSet (after
 * `freshMs`, or when a token names a key the set lacks and `cooldownMs` has passed since the last
 * fetch), with one difference: when a refresh fails, the last good set keeps verifying for up to
 * `maxStaleMs`. jose's remote set would instead fail every token once its cacheMaxAge had passed.
 * While the issuer is unreachable a token whose key the set does not hold cannot be judged (it may be
 * a key rotated in during the outage), so it gets 503, not 401. A failed fetch is retried at most
 * every `retryMs`, so an outage neither slows every request nor floods the issuer.
 */
export function resilientJwks(
  url: URL,
  clock: () => Date,
  log: Logger,
  timings: JwksTimings = JWKS_TIMINGS,
): JWTVerifyGetKey {
  const now = () => clock().getTime();
  let keys: { readonly resolve: JWTVerifyGetKey; readonly fetchedAt: number } | undefined;
  let failedAt: number | undefined;
  let pending: Promise<boolean> | undefined;

  const fetchKeys = async (): Promise<boolean> => {
    try {
      const response = await fetch(url, {
        // jose does not follow redirects for a JWKS either: the key set's location is configuration.
        redirect: "manual",
        signal: AbortSignal.timeout(timings.timeoutMs),
        headers: { accept: "application/json, application/jwk-set+json" },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`the key set answered HTTP ${response.status}`);
      }
      const { createLocalJWKSet } = await loadJose();
      const resolve = createLocalJWKSet((await response.json()) as JSONWebKeySet);
      if (failedAt !== undefined) log.log("info", "issuer key set reachable again", { jwks: url.origin });
      keys = { resolve, fetchedAt: now() };
      failedAt = undefined;
      return true;
    } catch (error) {
      failedAt = now();
      const { stack: _stack, ...detail } = errorDetail(error);
      const cause = error instanceof Error && error.cause !== undefined ? { cause: String(error.cause) } : {};
      log.log("warn", "issuer key set could not be fetched", {
        jwks: url.origin,
        ...detail,
        ...cause,
        staleForMs: keys ? now() - keys.fetchedAt : null,
      });
      return false;
    }
  };
  const refresh = (): Promise<boolean> => {
    pending ??= fetchKeys().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const mayRetry = () => failedAt === undefined || now() - failedAt >= timings.retryMs;
  const unavailable = () => {
    const wait = failedAt === undefined ? timings.retryMs : failedAt + timings.retryMs - now();
    return new ServiceUnavailable(
      "the token issuer's key set is unavailable, so the token cannot be checked; try again later",
      Math.max(1, Math.ceil(wait / 1000)),
    );
  };

  return async (header, token) => {
    if ((!keys || now() - keys.fetchedAt >= timings.freshMs) && mayRetry()) await refresh();
    const current = keys;
    if (!current || now() - current.fetchedAt > timings.maxStaleMs) throw unavailable();
    try {
      return await current.resolve(header, token);
    } catch (error) {
      if (!(error instanceof (await loadJose()).errors.JWKSNoMatchingKey)) throw error;
      if (failedAt === undefined && now() - current.fetchedAt < timings.cooldownMs) throw error;
      if (mayRetry() && (await refresh()) && keys) return keys.resolve(header, token);
      throw unavailable();
    }
  };
}
