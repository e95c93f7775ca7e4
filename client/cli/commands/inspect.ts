import type { ObjectInfo } from "../../object-info";
import { durationArg, keyArg, UsageError } from "../args";
import type { Command } from "./context";

export const share: Command = async ({ client, args, opt, result }) => {
  const [key] = args;
  if (!key || args.length > 1)
    throw new UsageError("usage: sfs share KEY [--expires TIME] [--download NAME]", true);
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
  ["sha256", "sha256"],
  ["contentDisposition", "disposition"],
];

/** One `label  value` line per field the store knows, in a fixed order. */
export function describeObject(info: ObjectInfo): string {
  return LABELS.filter(([field]) => info[field] !== undefined)
    .map(([field, label]) => `${label.padEnd(15)}${field === "size" ? `${info.size} bytes` : info[field]}`)
    .join("\n");
}

export const stat: Command = async ({ client, args, result }) => {
  const [key] = args;
  if (!key || args.length > 1) throw new UsageError("usage: sfs stat KEY", true);
  keyArg(key);
  const info = await client.stat(key);
  result(info, describeObject(info));
  return undefined;
};
