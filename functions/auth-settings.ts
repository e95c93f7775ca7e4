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
}

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
