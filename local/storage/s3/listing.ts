import { element, sendXml } from "../../http/xml";
import {
  compareKeys,
  isVersionId,
  type ObjectStore,
  type ObjectVersion,
  type VersionEntry,
} from "../store/object-store";
import { sendS3Error } from "./errors";
import type { S3Call, StorageContext } from "./request";

/** S3 returns at most 1,000 entries a page, whatever max-keys asks for. */
const MAX_KEYS = 1000;

interface ListParams {
  readonly prefix: string;
  readonly delimiter: string;
  readonly maxKeys: number;
  readonly encodeUrl: boolean;
}

/** The parameters both listings share, or S3's 400 (then undefined). */
function listParams(call: S3Call): ListParams | undefined {
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
function encoder(params: ListParams): (text: string) => string {
  if (!params.encodeUrl) return (text) => text;
  return (text) => encodeURIComponent(text).replace(/%20/g, "+").replace(/%2F/g, "/");
}

/** The common prefix a key rolls up into under the delimiter, if any. */
function commonPrefix(key: string, params: ListParams): string | undefined {
  if (params.delimiter === "") return undefined;
  const at = key.indexOf(params.delimiter, params.prefix.length);
  return at === -1 ? undefined : key.slice(0, at + params.delimiter.length);
}

type Listed<T> =
  | { readonly kind: "entry"; readonly entry: T }
  | { readonly kind: "prefix"; readonly prefix: string };

/**
 * Walks keys above `after`, under the prefix, rolling keys up into common prefixes (a prefix shows
 * only if a key under it would be listed). Entries and prefixes count alike toward max-keys, as in
 * S3; the caller stops one item past a full page, which is how it knows the page is truncated.
 */
function* walk<T>(
  store: ObjectStore,
  after: string,
  params: ListParams,
  entriesOf: (key: string) => readonly T[],
  skipPrefix: string | undefined,
): Generator<Listed<T>> {
  let lastPrefix = skipPrefix;
  for (const key of store.keysAfter(after)) {
    if (!key.startsWith(params.prefix)) {
      // Keys are ordered: once past every key under the prefix, nothing more can match.
      if (compareKeys(key, params.prefix) > 0) return;
      continue;
    }
    const entries = entriesOf(key);
    if (entries.length === 0) continue;
    const prefix = commonPrefix(key, params);
    if (prefix !== undefined) {
      if (prefix === lastPrefix) continue;
      lastPrefix = prefix;
      yield { kind: "prefix", prefix };
      continue;
    }
    for (const entry of entries) yield { kind: "entry", entry };
  }
}

function commonPrefixesXml(prefixes: readonly string[], encode: (t: string) => string): string {
  return prefixes.map((p) => `<CommonPrefixes>${element("Prefix", encode(p))}</CommonPrefixes>`).join("");
}

/** Continuation tokens are opaque to clients: the position, base64-encoded. */
interface Position {
  readonly after: string;
  /** Set when the page ended on a common prefix, whose keys the next page must skip. */
  readonly prefix?: string;
}

function encodeToken(position: Position): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64");
}

function decodeToken(token: string): Position | undefined {
  try {
    const position = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Position;
    return typeof position.after === "string" ? position : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ListObjectsV2 ("ListObjectsV2", Amazon S3 API Reference): the keys whose current version is not
 * a delete marker, in UTF-8 order, with prefix, delimiter (CommonPrefixes), max-keys, start-after,
 * continuation-token and encoding-type=url.
 */
export async function listObjectsV2(ctx: StorageContext, call: S3Call): Promise<void> {
  call.req.resume();
  const params = listParams(call);
  if (!params) return;
  const { query } = call;
  const token = query.get("continuation-token");
  const startAfter = query.get("start-after") ?? "";
  const position = token === null ? { after: startAfter } : decodeToken(token);
  if (!position) {
    sendS3Error(call.res, "InvalidArgument", {
      message: "The continuation token provided is incorrect",
      details: { ArgumentName: "continuation-token" },
    });
    return;
  }
  const current = (key: string): ObjectVersion[] => {
    const entry = ctx.store.current(key);
    return entry && !entry.deleteMarker ? [entry] : [];
  };
  const contents: ObjectVersion[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: Position | undefined;
  if (params.maxKeys > 0) {
    for (const item of walk(ctx.store, position.after, params, current, position.prefix)) {
      if (contents.length + prefixes.length === params.maxKeys) {
        truncated = true;
        break;
      }
      if (item.kind === "prefix") {
        prefixes.push(item.prefix);
        last = { after: item.prefix, prefix: item.prefix };
      } else {
        contents.push(item.entry);
        last = { after: item.entry.key };
      }
    }
  }
  const encode = encoder(params);
  sendXml(
    call.res,
    "ListBucketResult",
    element("Name", ctx.bucket) +
      element("Prefix", encode(params.prefix)) +
      (params.delimiter ? element("Delimiter", encode(params.delimiter)) : "") +
      element("MaxKeys", params.maxKeys) +
      (params.encodeUrl ? element("EncodingType", "url") : "") +
      element("KeyCount", contents.length + prefixes.length) +
      element("IsTruncated", truncated) +
      (token === null ? "" : element("ContinuationToken", token)) +
      (truncated && last ? element("NextContinuationToken", encodeToken(last)) : "") +
      (query.has("start-after") ? element("StartAfter", encode(startAfter)) : "") +
      contents
        .map(
          (v) =>
            `<Contents>${element("Key", encode(v.key))}${element("LastModified", v.lastModified)}${element("ETag", v.etag)}${element("Size", v.size)}${element("StorageClass", "STANDARD")}</Contents>`,
        )
        .join("") +
      commonPrefixesXml(prefixes, encode),
  );
}

function versionXml(entry: VersionEntry, isLatest: boolean, encode: (t: string) => string): string {
  const common =
    element("Key", encode(entry.key)) +
    element("VersionId", entry.versionId) +
    element("IsLatest", isLatest) +
    element("LastModified", entry.lastModified);
  if (entry.deleteMarker) return `<DeleteMarker>${common}</DeleteMarker>`;
  return `<Version>${common}${element("ETag", entry.etag)}${element("Size", entry.size)}${element("StorageClass", "STANDARD")}</Version>`;
}

/**
 * ListObjectVersions ("ListObjectVersions", Amazon S3 API Reference): every version and delete
 * marker, keys in order and each key's versions newest first, with prefix, delimiter, max-keys,
 * key-marker and version-id-marker.
 */
export async function listObjectVersions(ctx: StorageContext, call: S3Call): Promise<void> {
  call.req.resume();
  const params = listParams(call);
  if (!params) return;
  const { query, res } = call;
  const keyMarker = query.get("key-marker") ?? "";
  const versionIdMarker = query.get("version-id-marker") ?? "";
  if (versionIdMarker !== "" && keyMarker === "") {
    sendS3Error(res, "InvalidArgument", {
      message: "A version-id marker cannot be specified without a key marker.",
      details: { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker },
    });
    return;
  }
  if (versionIdMarker !== "" && !isVersionId(versionIdMarker)) {
    sendS3Error(res, "InvalidArgument", {
      message: "Invalid version id specified",
      details: { ArgumentName: "version-id-marker", ArgumentValue: versionIdMarker },
    });
    return;
  }
  interface Item {
    readonly entry: VersionEntry;
    readonly isLatest: boolean;
  }
  const itemsOf = (key: string): Item[] =>
    ctx.store.versions(key).map((entry, i) => ({ entry, isLatest: i === 0 }));
  // The rest of the marker key's versions come first, after the marker version.
  const head: Item[] = [];
  if (
    versionIdMarker !== "" &&
    keyMarker.startsWith(params.prefix) &&
    commonPrefix(keyMarker, params) === undefined
  ) {
    const all = itemsOf(keyMarker);
    const at = all.findIndex((i) => i.entry.versionId === versionIdMarker);
    if (at !== -1) head.push(...all.slice(at + 1));
  }
  const skipPrefix = commonPrefix(keyMarker, params);
  const items: Item[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let next: { key: string; versionId?: string } | undefined;
  const take = function* (): Generator<Listed<Item>> {
    for (const entry of head) yield { kind: "entry", entry };
    yield* walk(ctx.store, keyMarker, params, itemsOf, skipPrefix);
  };
  if (params.maxKeys > 0) {
    for (const item of take()) {
      if (items.length + prefixes.length === params.maxKeys) {
        truncated = true;
        break;
      }
      if (item.kind === "prefix") {
        prefixes.push(item.prefix);
        next = { key: item.prefix };
      } else {
        items.push(item.entry);
        next = { key: item.entry.entry.key, versionId: item.entry.entry.versionId };
      }
    }
  }
  const encode = encoder(params);
  sendXml(
    res,
    "ListVersionsResult",
    element("Name", ctx.bucket) +
      element("Prefix", encode(params.prefix)) +
      element("KeyMarker", encode(keyMarker)) +
      element("VersionIdMarker", versionIdMarker) +
      (truncated && next ? element("NextKeyMarker", encode(next.key)) : "") +
      (truncated && next?.versionId ? element("NextVersionIdMarker", next.versionId) : "") +
      element("MaxKeys", params.maxKeys) +
      (params.delimiter ? element("Delimiter", encode(params.delimiter)) : "") +
      (params.encodeUrl ? element("EncodingType", "url") : "") +
      element("IsTruncated", truncated) +
      items.map((i) => versionXml(i.entry, i.isLatest, encode)).join("") +
      commonPrefixesXml(prefixes, encode),
  );
}
