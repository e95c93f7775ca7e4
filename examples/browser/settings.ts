/**
 * What the page knows of the store it runs against. The local stack serves it as `/config.json`
 * beside the page (local/stack/example-server.ts); a page pointed elsewhere with `?api=` reads the
 * auth mode from `?auth=` (default public) and the share-link limit from `?maxExpires=`.
 */

export type AuthMode = "public" | "jwt" | "iam";

export interface PageSettings {
  readonly apiUrl: string;
  readonly auth: AuthMode;
  /** jwt: the prefixes a token may read, as templates of its claims (`{sub}/`). */
  readonly readPrefixes: readonly string[];
  /** jwt with the local development issuer: its base URL. */
  readonly issuerUrl?: string;
  readonly maxReadExpirySeconds: number;
}

/** The API's default limit for `?expires=` (the component's maxReadExpirySeconds). */
const DEFAULT_MAX_READ_EXPIRY = 86_400;

/** Raised when the page cannot tell which API to use. */
export class SettingsError extends Error {}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

function authOf(value: string | null): AuthMode {
  if (value === null || value === "public") return "public";
  if (value === "jwt" || value === "iam") return value;
  throw new SettingsError(`?auth= must be public, jwt or iam, got "${value}"`);
}

/** The stack's configuration if it serves one, else undefined (a page served elsewhere). */
async function stackConfig(): Promise<Partial<PageSettings> | undefined> {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok) return undefined;
    return (await res.json()) as Partial<PageSettings>;
  } catch {
    return undefined;
  }
}

export async function loadSettings(search: string): Promise<PageSettings> {
  const query = new URLSearchParams(search);
  const config = await stackConfig();
  const apiUrl = query.get("api") ?? config?.apiUrl;
  if (!apiUrl) {
    throw new SettingsError(
      "This page needs to know which API to use: open it from the link the local stack prints when it starts, or add ?api=https://… (the function URL) to the address.",
    );
  }
  try {
    new URL(apiUrl);
  } catch {
    throw new SettingsError(
      `?api= must be a URL such as https://abc.lambda-url.eu-west-1.on.aws/, got "${apiUrl}"`,
    );
  }
  // The stack's configuration describes its own API only; another API is described by the query.
  const fromStack = config?.apiUrl !== undefined && sameUrl(config.apiUrl, apiUrl) ? config : undefined;
  const maxExpires = Number(query.get("maxExpires"));
  return {
    apiUrl,
    auth: fromStack?.auth ?? authOf(query.get("auth")),
    readPrefixes: fromStack?.readPrefixes ?? ["{sub}/"],
    ...(fromStack?.issuerUrl ? { issuerUrl: fromStack.issuerUrl } : {}),
    maxReadExpirySeconds:
      fromStack?.maxReadExpirySeconds ??
      (Number.isInteger(maxExpires) && maxExpires > 0 ? maxExpires : DEFAULT_MAX_READ_EXPIRY),
  };
}

/** A JWT's claims, read without verifying it (the API verifies); undefined if it is not a JWT. */
export function claimsOf(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const claims: unknown = JSON.parse(json);
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where a token's files start: the first read prefix with its `{claim}`s filled in from the token,
 * or the root when a claim is missing or the prefix has none.
 */
export function homePrefix(templates: readonly string[], claims: Record<string, unknown>): string {
  for (const template of templates) {
    let missing = false;
    const prefix = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      const value = claims[name];
      const text = typeof value === "number" ? String(value) : value;
      if (typeof text !== "string" || text === "" || text.includes("/")) missing = true;
      return typeof text === "string" ? text : "";
    });
    if (!missing) return prefix.replace(/^\/+/, "");
  }
  return "";
}
