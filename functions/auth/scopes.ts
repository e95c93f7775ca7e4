import { Forbidden } from "../api/http-error";
import { DEFAULT_JWT_SCOPES, type JwtScopes, type ScopedAction } from "./settings";

/**
 * The scopes a token grants: OAuth's space-separated `scope` claim (RFC 8693, "scope (Scopes)
 * Claim") and the `scp` claim some issuers use instead, as an array of strings or, like `scope`,
 * one space-separated string.
 */
export function tokenScopes(claims: Readonly<Record<string, unknown>>): Set<string> {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    const names = typeof value === "string" ? value.split(" ") : Array.isArray(value) ? value : [];
    for (const name of names) if (typeof name === "string" && name !== "") scopes.add(name);
  };
  add(claims.scope);
  add(claims.scp);
  return scopes;
}

/**
 * The scopes an action needs: the configured one for read, write and delete, none when unset; a
 * purge needs the delete scope (it deletes) and the purge scope, which is `purge` unless set.
 */
export function requiredScopes(action: ScopedAction, configured: JwtScopes | undefined): string[] {
  const scopes = configured ?? DEFAULT_JWT_SCOPES;
  if (action !== "purge") return scopes[action] ? [scopes[action]] : [];
  return [...(scopes.delete ? [scopes.delete] : []), scopes.purge ?? DEFAULT_JWT_SCOPES.purge ?? "purge"];
}

/** The refusal for the first scope the token lacks, or undefined when it holds them all. */
export function missingScope(
  action: ScopedAction,
  configured: JwtScopes | undefined,
  claims: Readonly<Record<string, unknown>>,
): Forbidden | undefined {
  const held = tokenScopes(claims);
  const missing = requiredScopes(action, configured).find((s) => !held.has(s));
  return missing === undefined
    ? undefined
    : new Forbidden(`${action} needs the scope '${missing}' in the token`);
}
