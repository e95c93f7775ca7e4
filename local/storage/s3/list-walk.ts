import type { ObjectStore } from "../store/object-store";
import { sendS3Error } from "./errors";
import type { S3Call } from "./request";

/** S3 returns at most 1,000 entries a page, whatever max-keys asks for. */
const MAX_KEYS = 1000;

export interface ListParams {
  readonly prefix: string;
  readonly delimiter: string;
  readonly maxKeys: number;
  readonly encodeUrl: boolean;
}

/** The parameters both listings share, or S3's 400 (then undefined). */
export function listParams(call: S3Call): ListParams | undefined {
  const { query, res } = call;
  const maxText = query.get("max-keys");
  const maxKeys = maxText === null ? MAX_KEYS : Number(maxText);
  if (!/^\d+$/.test(maxText ?? "0") || !Number.isSafeInteger(maxKeys)) {
    sendS3Error(res, "InvalidArgument", {
      message: "Provided max-keys not an integer or within integer range",
      details: { ArgumentName: "max-keys", ArgumentValue: maxText ?? "" },
    });
    return undefined;
  }
  const encoding = query.get("encoding-type");
  if (encoding !== null && encoding !== "url") {
    sendS3Error(res, "InvalidArgument", {
      message: "Invalid Encoding Method specified in Request",
      details: { ArgumentName: "encoding-type", ArgumentValue: encoding },
    });
    return undefined;
  }
  return {
    prefix: query.get("prefix") ?? "",
    delimiter: query.get("delimiter") ?? "",
    maxKeys: Math.min(maxKeys, MAX_KEYS),
    encodeUrl: encoding === "url",
  };
}

/**
 * With `encoding-type=url` S3 URL-encodes keys, prefixes, delimiters and markers in the answer so
 * that keys holding characters XML 1.0 cannot carry survive. As measured against S3 (reported in
 * brekkylab/backlot#178): a space becomes `+`, a `+` becomes `%2B`, `%` becomes `%25`, non-ASCII is
 * percent-encoded as UTF-8, and `/` stays as it is.
 */
export function encoder(params: ListParams): (text: string) => string {
  if (!params.encodeUrl) return (text) => text;
  return (text) => encodeURIComponent(text).replace(/%20/g, "+").replace(/%2F/g, "/");
}

/** The common prefix a key rolls up into under the delimiter, if any. */
export function commonPrefix(key: string, params: ListParams): string | undefined {
  if (params.delimiter === "") return undefined;
  const at = key.indexOf(params.delimiter, params.prefix.length);
  return at === -1 ? undefined : key.slice(0, at + params.delimiter.length);
}

export type Listed<T> =
  | { readonly kind: "entry"; readonly entry: T }
  | { readonly kind: "prefix"; readonly prefix: string };

/** What a listing shows of each key: whether it shows at all, and its entries. */
export interface KeyView<T> {
  readonly listable: (key: string) => boolean;
  readonly entriesOf: (key: string) => Iterable<T>;
}

/**
 * Walks the keys above `after` under the prefix, rolling keys up into common prefixes (a prefix
 * shows only if a key under it is listable). Entries and prefixes count alike toward max-keys, as
 * in S3; the caller stops one item past a full page, which is how it knows the page is truncated.
 *
 * The work is proportional to the page, not to the keys before it or under a common prefix: the
 * start is found by binary search (the later of `after` and the prefix), and once a common prefix
 * is shown the walk jumps past the run of keys that share it, by binary search again. Only keys
 * that do not show (their current version is a delete marker) are stepped over one by one. The
 * walk must be consumed without awaiting in between, so the keys cannot change under it.
 */
export function* walk<T>(
  store: ObjectStore,
  after: string,
  params: ListParams,
  view: KeyView<T>,
  skipPrefix: string | undefined,
): Generator<Listed<T>> {
  const keys = store.sortedKeys;
  let at = Math.max(after === "" ? 0 : keys.positionAfter(after), keys.positionOf(params.prefix));
  if (skipPrefix !== undefined) at = keys.positionPast(skipPrefix, at);
  for (;;) {
    const key = keys.at(at);
    // Keys under the prefix are contiguous and the walk starts among or after them.
    if (key === undefined || !key.startsWith(params.prefix)) return;
    const prefix = commonPrefix(key, params);
    if (!view.listable(key)) {
      at += 1;
    } else if (prefix !== undefined) {
      yield { kind: "prefix", prefix };
      at = keys.positionPast(prefix, at);
    } else {
      for (const entry of view.entriesOf(key)) yield { kind: "entry", entry };
      at += 1;
    }
  }
}

/** Continuation tokens are opaque to clients: the position, base64-encoded. */
export interface Position {
  readonly after: string;
  /** Set when the page ended on a common prefix, whose keys the next page must skip. */
  readonly prefix?: string;
}

export function encodeToken(position: Position): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64");
}

export function decodeToken(token: string): Position | undefined {
  try {
    const position = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Position;
    return typeof position.after === "string" ? position : undefined;
  } catch {
    return undefined;
  }
}
