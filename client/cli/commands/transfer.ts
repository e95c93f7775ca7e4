import { stat } from "node:fs/promises";
import * as path from "node:path";
import { contentDisposition, contentTypeFor } from "../../content";
import { DEFAULTS } from "../../index";
import type { DownloadResult } from "../../transfer/download";
import { defaultStateDir } from "../../transfer/upload";
import {
  byteCount,
  keyArg,
  partSizeArg,
  pathArg,
  startDirectory,
  UsageError,
  versionArg,
  wholeNumberArg,
} from "../args";
import type { Command } from "./context";

export const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

export const put: Command = async ({ client, args, opt, flag, bar, result, notice }) => {
  const [file, key] = args;
  if (!file || !key || args.length > 2) throw new UsageError("usage: sfstore put FILE KEY");
  keyArg(key);
  const concurrency = wholeNumberArg(
    "concurrency",
    opt("concurrency") ?? String(DEFAULTS.concurrency),
    1,
    64,
  );
  const partSize = partSizeArg(opt("part-size"));
  const stateDir = opt("state-dir");
  const source = pathArg(file);
  const found = await stat(source).catch((error: NodeJS.ErrnoException) => error);
  if (found instanceof Error || !found.isFile()) {
    // Node's own message names only the absolute path; say which argument it came from.
    const why =
      found instanceof Error ? (found.code === "ENOENT" ? "no such file" : found.message) : "not a file";
    throw new Error(`cannot upload ${JSON.stringify(file)}: ${why} (in ${startDirectory()})`);
  }
  const uploaded = await client.put(source, key, {
    // The object's type follows its key, not the local file's name: readers and the store's allowed
    // types see the object.
    contentType: opt("content-type") ?? contentTypeFor(key),
    contentDisposition: contentDisposition(opt("filename") ?? path.basename(file), flag("inline")),
    createOnly: flag("if-absent"),
    multipartThreshold: byteCount(
      "multipart-threshold",
      opt("multipart-threshold"),
      DEFAULTS.multipartThreshold,
    ),
    ...(partSize === undefined ? {} : { partSize }),
    concurrency,
    stateDir: stateDir === undefined ? defaultStateDir() : pathArg(stateDir),
    onProgress: (p) => bar.update(p),
    onNotice: notice,
  });
  bar.stop();
  result(
    { command: "put", ...uploaded, maxRssBytes: maxRssBytes() },
    `uploaded ${file} to ${key}: ${uploaded.size} bytes in ${uploaded.parts} part(s)` +
      `${uploaded.resumedParts ? `, ${uploaded.resumedParts} resumed` : ""}, crc64nvme ${uploaded.checksum.value}`,
  );
  return undefined;
};

export const get: Command = async ({ client, args, opt, bar, result }) => {
  const [key, file] = args;
  if (!key || args.length > 2) throw new UsageError("usage: sfstore get KEY [FILE] [--version V]");
  keyArg(key);
  const versionId = versionArg(opt("version"));
  const dest = await downloadTarget(key, file);
  let total = 0;
  const got = await client.get(
    key,
    path.resolve(startDirectory(), dest),
    (bytes, size) => {
      total = size;
      bar.update({ phase: "download", bytes, total: Math.max(total, bytes) });
    },
    versionId === undefined ? {} : { versionId },
  );
  bar.stop();
  const which = versionId === undefined ? key : `${key} (version ${versionId})`;
  result(
    {
      command: "get",
      file: dest,
      ...got,
      ...(versionId === undefined ? {} : { versionId }),
      maxRssBytes: maxRssBytes(),
    },
    `downloaded ${which} to ${dest}: ${got.size} bytes, ${checkText(got)}`,
  );
  return undefined;
};

/** What the check of a download found, in words. */
export function checkText(got: DownloadResult): string {
  const sum = got.checksum ? `${got.checksum.algorithm.toLowerCase()} ${got.checksum.value}` : "";
  if (got.verified) return `${sum} (verified)`;
  return `not verified: ${got.note ?? "no checksum"}`;
}

/**
 * Where `sfstore get` writes, checked before a byte is fetched: FILE, or the key's last segment inside
 * FILE when FILE is a directory (or names one with a trailing slash), as `cp` does; the key's last
 * segment in the current directory without FILE.
 */
async function downloadTarget(key: string, file: string | undefined): Promise<string> {
  const name = path.basename(key);
  const given = file ?? name;
  const isDirectory = (p: string) =>
    stat(path.resolve(startDirectory(), p)).then(
      (s) => s.isDirectory(),
      () => false,
    );
  if (await isDirectory(given)) return path.join(given, name);
  const where = /[\\/]$/.test(given) ? given : path.dirname(given);
  if (!(await isDirectory(where))) {
    throw new Error(
      `cannot download to ${JSON.stringify(given)}: no such directory ${JSON.stringify(where)} (in ${startDirectory()})`,
    );
  }
  return given;
}
