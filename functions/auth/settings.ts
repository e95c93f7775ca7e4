import type { AccessRules } from "./access-rules";

// Plain settings with no runtime dependency, so the Pulumi program can share them with the handler.

export type AuthMode = "iam" | "jwt" | "public";

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly rules: AccessRules;
  /** Asymmetric algorithms only: a JWKS never holds shared secrets, and `none` is never accepted. */
  readonly algorithms?: readonly string[];
  /**
   * Scopes a token's `scope` (space-separated) or `scp` (array) claim must hold for each action,
   * besides the prefix rules. An action without one here needs no scope, except purge (delete every
   * version and invalidate the CDN's copies), which always needs one: `purge` unless set.
   */
  readonly scopes?: JwtScopes;
}

export type ScopedAction = "read" | "write" | "delete" | "purge";
export type JwtScopes = Partial<Readonly<Record<ScopedAction, string>>>;

export const DEFAULT_JWT_SCOPES: JwtScopes = { purge: "purge" };

export type AuthSettings =
  | { readonly mode: "iam" }
  | { readonly mode: "public" }
  | ({ readonly mode: "jwt" } & JwtSettings);

export const DEFAULT_JWT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];

/**
 * How long the function trusts the issuer's key set, in milliseconds. `freshMs`, `cooldownMs` and
 * `timeoutMs` are jose's own defaults for createRemoteJWKSet (RemoteJWKSetOptions: cacheMaxAge 10 min,
 * cooldownDuration 30 s, timeoutDuration 5 s). jose forgets its keys once cacheMaxAge has passed, so an
 * issuer outage longer than that would refuse every token; `maxStaleMs` is how long the last good key
 * set keeps verifying after a failed refresh instead, and `retryMs` how long after a failed fetch the
 * next one is tried (also the `Retry-After` a caller gets when no key set is usable).
 */
export interface JwksTimings {
  readonly freshMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  readonly maxStaleMs: number;
  readonly retryMs: number;
}

export const JWKS_TIMINGS: JwksTimings = {
  freshMs: 10 * 60_000,
  cooldownMs: 30_000,
  timeoutMs: 5_000,
  maxStaleMs: 60 * 60_000,
  retryMs: 10_000,
};
