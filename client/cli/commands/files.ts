import type { CopyResult, ListedObject, ListPage, ObjectVersion } from "../../files";
import { PermanentError } from "../../retry";
import { keyArg, prefixArg, UsageError, versionArg } from "../args";
import type { Command } from "./context";

/** Sizes right-aligned in this many columns: anything below 1 TB lines up. */
const SIZE_WIDTH = 12;
const DATE_WIDTH = "2026-01-01T00:00:00Z".length;

/** S3 orders keys by their UTF-8 bytes, which JavaScript's string order differs from above U+FFFF. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A date in UTC to the second: the same text on every machine, and sorted as it reads. */
export function shortDate(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}

/**
 * One line per entry of a page, prefixes (`PRE photos/2024/`, as `aws s3 ls` shows them) and keys
 * together in key order; `long` puts the size and date before each key.
 */
export function pageLines(page: Pick<ListPage, "objects" | "prefixes">, long: boolean): string[] {
  const prefixes = page.prefixes.map((name) => ({
    name,
    line: long ? `${"PRE".padStart(SIZE_WIDTH)}  ${" ".repeat(DATE_WIDTH)}  ${name}` : `PRE ${name}`,
  }));
  const objects = page.objects.map((o: ListedObject) => ({
    name: o.key,
    line: long ? `${String(o.size).padStart(SIZE_WIDTH)}  ${shortDate(o.lastModified)}  ${o.key}` : o.key,
  }));
  return [...prefixes, ...objects].sort((a, b) => byUtf8(a.name, b.name)).map((entry) => entry.line);
}

export const ls: Command = async ({ client, args, flag, json, result, lines }) => {
  if (args.length > 1) throw new UsageError("usage: sfstore ls [PREFIX] [-r] [-l]");
  const prefix = prefixArg(args[0]);
  const long = flag("long");
  const objects: ListedObject[] = [];
  const prefixes: string[] = [];
  // Text goes out page by page, so a listing of millions of keys starts at once and stays small.
  for await (const page of client.list(prefix, { recursive: flag("recursive") })) {
    if (!json) lines(pageLines(page, long));
    else {
      objects.push(...page.objects);
      prefixes.push(...page.prefixes);
    }
  }
  if (json) result({ prefix, objects, prefixes }, "");
  return undefined;
};

/** `DEST/` names a key in that folder with the source's last segment, as `cp` and `mv` do with directories. */
function destinationArg(source: string, destination: string): string {
  return keyArg(destination.endsWith("/") ? `${destination}${source.split("/").pop()}` : destination);
}

const madeText = (made: CopyResult) =>
  `${made.size} bytes${made.versionId === undefined ? "" : `, version ${made.versionId}`}`;

export const cp: Command = async ({ client, args, opt, result }) => {
  const [source, dest] = args;
  if (!source || !dest || args.length > 2) throw new UsageError("usage: sfstore cp SRC DEST [--version V]");
  keyArg(source);
  const destination = destinationArg(source, dest);
  const versionId = versionArg(opt("version"));
  const copied = await client.copy(source, destination, versionId === undefined ? {} : { versionId });
  const from = versionId === undefined ? source : `${source} (version ${versionId})`;
  result(
    { command: "cp", source, ...(versionId === undefined ? {} : { sourceVersionId: versionId }), ...copied },
    `copied ${from} to ${destination}: ${madeText(copied)}`,
  );
  return undefined;
};

export const mv: Command = async ({ client, args, result }) => {
  const [source, dest] = args;
  if (!source || !dest || args.length > 2) throw new UsageError("usage: sfstore mv SRC DEST");
  keyArg(source);
  const destination = destinationArg(source, dest);
  const moved = await client.move(source, destination);
  result({ command: "mv", source, ...moved }, `moved ${source} to ${destination}: ${madeText(moved)}`);
  return undefined;
};

/** One line per version: size (or `deleted` for a delete marker), date, version ID, and which is current. */
export function versionLine(v: ObjectVersion): string {
  const size = v.deleteMarker ? "deleted" : String(v.size ?? "");
  return `${size.padStart(SIZE_WIDTH)}  ${shortDate(v.lastModified)}  ${v.versionId}${v.isLatest ? "  (current)" : ""}`;
}

export const versions: Command = async ({ client, args, result }) => {
  const [key] = args;
  if (!key || args.length > 1) throw new UsageError("usage: sfstore versions KEY");
  keyArg(key);
  const found: ObjectVersion[] = [];
  for await (const version of client.versions(key)) found.push(version);
  if (found.length === 0) {
    throw new PermanentError(`no version of ${JSON.stringify(key)} is stored`, 404, "NoSuchKey");
  }
  result({ key, versions: found }, found.map(versionLine).join("\n"));
  return undefined;
};

export const restore: Command = async ({ client, args, result }) => {
  const [key, version] = args;
  if (!key || !version || args.length > 2) throw new UsageError("usage: sfstore restore KEY VERSION");
  keyArg(key);
  const restored = await client.restore(key, version);
  result(
    { command: "restore", restoredVersionId: version, ...restored },
    `restored ${key} from version ${version}: ${madeText(restored)}`,
  );
  return undefined;
};
