import { BadRequest } from "../api/http-error";
import { keyFromRawPath } from "../api/object-key";
import type { Reach } from "../auth/authorizer";
import type { FileStore, ListedObject } from "../s3/files";

/** `/` is the root (prefix ""), `/photos/2024/` the prefix `photos/2024/`; segments as in keys. */
export function prefixFromRawPath(rawPath: string): string {
  if (rawPath === "/" || rawPath === "") return "";
  // A prefix is a key with its last, empty segment: checked as the key it would be with one more.
  return `${keyFromRawPath(rawPath.replace(/\/$/, ""))}/`;
}

/**
 * What a listing of `prefix` may show the caller:
 * - `areas: [prefix]` when everything under the prefix is readable;
 * - the caller's readable prefixes under it otherwise, listed one after another, so that no key
 *   outside them, and no common prefix leading only to others' keys, is ever returned;
 * - undefined when the caller may read nothing under the prefix.
 */
export interface ListingPlan {
  readonly prefix: string;
  readonly areas: readonly string[];
  /** The areas are the caller's own prefixes below `prefix`, not `prefix` itself. */
  readonly partial: boolean;
}

export function listingPlan(prefix: string, reach: Reach): ListingPlan | undefined {
  if (reach.prefixes === "all" || reach.prefixes.some((r) => prefix.startsWith(r))) {
    return { prefix, areas: [prefix], partial: false };
  }
  const below = [...new Set(reach.prefixes.filter((r) => r.startsWith(prefix)))].sort();
  // A readable prefix inside another one adds nothing and would list its keys twice.
  const areas = below.filter((r) => !below.some((other) => other !== r && r.startsWith(other)));
  return areas.length > 0 ? { prefix, areas, partial: true } : undefined;
}

interface Token {
  /** Index of the area the next page starts in. */
  readonly a: number;
  /** S3's continuation token within that area. */
  readonly t?: string;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeToken(text: string, areas: number): Token {
  const invalid = new BadRequest(
    "InvalidToken",
    "after must be the next token of the previous page of this listing",
  );
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  const { a, t } = (token ?? {}) as { a?: unknown; t?: unknown };
  if (typeof a !== "number" || !Number.isInteger(a) || a < 0 || a >= areas) throw invalid;
  if (t !== undefined && typeof t !== "string") throw invalid;
  return t === undefined ? { a } : { a, t };
}

export interface ListResult {
  readonly objects: ListedObject[];
  readonly prefixes: string[];
  readonly next: string | null;
}

/**
 * One page: up to `limit` entries, walking the plan's areas in order. One level below a partial
 * plan, the caller sees only the next segment of each of its own prefixes, without asking S3.
 */
export async function listPage(
  files: FileStore,
  plan: ListingPlan,
  request: { recursive: boolean; limit: number; after?: string },
): Promise<ListResult> {
  if (plan.partial && !request.recursive) {
    const prefixes = [
      ...new Set(plan.areas.map((area) => `${plan.prefix}${area.slice(plan.prefix.length).split("/")[0]}/`)),
    ];
    return { objects: [], prefixes, next: null };
  }
  const objects: ListedObject[] = [];
  const prefixes: string[] = [];
  let token: Token = request.after === undefined ? { a: 0 } : decodeToken(request.after, plan.areas.length);
  for (;;) {
    const area = plan.areas[token.a] ?? "";
    const room = request.limit - objects.length - prefixes.length;
    const page = await files.list(area, request.recursive, room, token.t);
    objects.push(...page.objects);
    prefixes.push(...page.prefixes);
    if (page.next) return { objects, prefixes, next: encodeToken({ a: token.a, t: page.next }) };
    if (token.a + 1 >= plan.areas.length) return { objects, prefixes, next: null };
    token = { a: token.a + 1 };
    if (objects.length + prefixes.length >= request.limit)
      return { objects, prefixes, next: encodeToken(token) };
  }
}
