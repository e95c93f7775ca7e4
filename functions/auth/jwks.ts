import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";
import { ServiceUnavailable } from "../api/http-error";
import { errorDetail, type Logger } from "../telemetry/log";
import { JWKS_TIMINGS, type JwksTimings } from "./settings";

export type Jose = typeof import("jose");
let jose: Promise<Jose> | undefined;
/**
 * jose is as large as the rest of the function, and only jwt mode uses it: the bundle builds it as a
 * CommonJS file of its own (components/bundle/function-bundle.ts), required on the first jwt request. `require`
 * rather than `import()`, which would start Node's ES module loader on that request as well.
 */
export const loadJose = (): Promise<Jose> => {
  jose ??= Promise.resolve()
    .then(() => require("jose") as Jose)
    .catch((error: unknown) => {
      jose = undefined;
      throw error;
    });
  return jose;
};

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
