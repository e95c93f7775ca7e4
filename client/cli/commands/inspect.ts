import type { ObjectInfo } from "../../object-info";
import { durationArg, keyArg, UsageError, versionArg } from "../args";
import type { Command } from "./context";

export const share: Command = async ({ client, args, opt, result }) => {
  const [key] = args;
  if (!key || args.length > 1)
    throw new UsageError("usage: sfstore share KEY [--expires TIME] [--download NAME]");
  keyArg(key);
  const expires = opt("expires");
  const download = opt("download");
  if (download === "") throw new UsageError("--download must name a file");
  const link = await client.share(key, {
    ...(expires === undefined ? {} : { expiresSeconds: durationArg(expires) }),
    ...(download === undefined ? {} : { download }),
  });
  result(link, link.url);
  return undefined;
};

const LABELS: ReadonlyArray<readonly [keyof ObjectInfo, string]> = [
  ["key", "key"],
  ["size", "size"],
  ["etag", "etag"],
  ["versionId", "version"],
  ["contentType", "content type"],
  ["lastModified", "last modified"],
  ["checksum", "checksum"],
  ["contentDisposition", "disposition"],
];

function fieldText(info: ObjectInfo, field: keyof ObjectInfo): string {
  if (field === "size") return `${info.size} bytes`;
  if (field === "checksum" && info.checksum) {
    const { algorithm, type, value } = info.checksum;
    return `${algorithm.toLowerCase()} ${value} (${type.toLowerCase().replace("_", " ")})`;
  }
  return String(info[field]);
}

/** One `label  value` line per field the store knows, in a fixed order. */
export function describeObject(info: ObjectInfo): string {
  return LABELS.filter(([field]) => info[field] !== undefined)
    .map(([field, label]) => `${label.padEnd(15)}${fieldText(info, field)}`)
    .join("\n");
}

export const stat: Command = async ({ client, args, opt, result }) => {
  const [key] = args;
  if (!key || args.length > 1) throw new UsageError("usage: sfstore stat KEY [--version V]");
  keyArg(key);
  const versionId = versionArg(opt("version"));
  const info = await client.stat(key, versionId === undefined ? {} : { versionId });
  result(info, describeObject(info));
  return undefined;
};
