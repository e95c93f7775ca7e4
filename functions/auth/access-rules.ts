import { hasControlCharacter } from "../api/object-key";

/**
 * Key-prefix templates over token claims, e.g. read `["{sub}/", "shared/"]`, write `["{sub}/"]`.
 * A template expands only when every claim it names is a single safe key segment; otherwise the
 * rule grants nothing, so a claim like `"../bob"` or `"a/b"` can never widen a principal's reach.
 */
export type Action = "read" | "write" | "delete";

export interface AccessRules {
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly delete: readonly string[];
}

const PLACEHOLDER = /\{([A-Za-z0-9_:.-]+)\}/g;

/** Validation shared by the component and the handler's config: names the field and the value. */
export function ruleTemplateProblem(template: string): string | undefined {
  if (!template.endsWith("/")) {
    return `must end with "/" so that it names a folder, got ${JSON.stringify(template)}`;
  }
  const literal = template.replace(PLACEHOLDER, "x");
  if (/[{}]/.test(literal)) {
    return `has an unbalanced or invalid {claim} placeholder, got ${JSON.stringify(template)}`;
  }
  if (
    literal
      .split("/")
      .slice(0, -1)
      .some((s) => s === "" || s === "." || s === "..")
  ) {
    return `must not have empty, "." or ".." segments, got ${JSON.stringify(template)}`;
  }
  return undefined;
}

export function expandTemplate(
  template: string,
  claims: Readonly<Record<string, unknown>>,
): string | undefined {
  let unusable = false;
  const expanded = template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = claims[name];
    const text = typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
    if (
      text === undefined ||
      text === "" ||
      text === "." ||
      text === ".." ||
      text.includes("/") ||
      hasControlCharacter(text)
    ) {
      unusable = true;
      return "";
    }
    return text;
  });
  return unusable ? undefined : expanded;
}

export function expandRules(rules: AccessRules, claims: Readonly<Record<string, unknown>>): AccessRules {
  const expand = (templates: readonly string[]) =>
    templates.map((t) => expandTemplate(t, claims)).filter((p): p is string => p !== undefined);
  return { read: expand(rules.read), write: expand(rules.write), delete: expand(rules.delete) };
}

/** `key` must already be validated (no `.`/`..`/empty segments), which makes a prefix test sound. */
export function keyHasPrefix(key: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => key.startsWith(prefix));
}
