import { element, sendXml } from "../../http/xml";
import { isVersionId, type ObjectVersion, type VersionEntry } from "../store/object-store";
import { listedChecksum } from "./checksum-headers";
import { sendS3Error } from "./errors";
import {
  commonPrefix,
  decodeToken,
  encoder,
  encodeToken,
  type Listed,
  listParams,
  type Position,
  walk,
} from "./list-walk";
import type { S3Call, StorageContext } from "./request";

function commonPrefixesXml(prefixes: readonly string[], encode: (t: string) => string): string {
  return prefixes.map((p) => `<CommonPrefixes>${element("Prefix", encode(p))}</CommonPrefixes>`).join("");
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
  const current = (key: string): ObjectVersion | undefined => {
    const entry = ctx.store.current(key);
    return entry && !entry.deleteMarker ? entry : undefined;
  };
  const view = {
    listable: (key: string) => current(key) !== undefined,
    entriesOf: (key: string) => {
      const entry = current(key);
      return entry ? [entry] : [];
    },
  };
  const contents: ObjectVersion[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let last: Position | undefined;
  if (params.maxKeys > 0) {
    for (const item of walk(ctx.store, position.after, params, view, position.prefix)) {
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
            `<Contents>${element("Key", encode(v.key))}${element("LastModified", v.lastModified)}${element("ETag", v.etag)}${listedChecksum(v.checksum)}${element("Size", v.size)}${element("StorageClass", "STANDARD")}</Contents>`,
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
  return `<Version>${common}${element("ETag", entry.etag)}${listedChecksum(entry.checksum)}${element("Size", entry.size)}${element("StorageClass", "STANDARD")}</Version>`;
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
  function* itemsOf(key: string, afterVersion?: string): Generator<Item> {
    const history = ctx.store.history(key);
    if (!history) return;
    const latest = history.current();
    for (const entry of history.newestFirst(afterVersion)) yield { entry, isLatest: entry === latest };
  }
  // The rest of the marker key's versions come first, after the marker version.
  const head =
    versionIdMarker !== "" &&
    keyMarker.startsWith(params.prefix) &&
    commonPrefix(keyMarker, params) === undefined &&
    ctx.store.version(keyMarker, versionIdMarker)
      ? itemsOf(keyMarker, versionIdMarker)
      : [];
  const skipPrefix = commonPrefix(keyMarker, params);
  const items: Item[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let next: { key: string; versionId?: string } | undefined;
  const take = function* (): Generator<Listed<Item>> {
    for (const entry of head) yield { kind: "entry", entry };
    yield* walk(
      ctx.store,
      keyMarker,
      params,
      { listable: () => true, entriesOf: (key) => itemsOf(key) },
      skipPrefix,
    );
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
