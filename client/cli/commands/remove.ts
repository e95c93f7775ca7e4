import { ApiError } from "../../api";
import { type DeleteError, MAX_DELETE_BATCH, type PurgeResult } from "../../files";
import { PermanentError } from "../../retry";
import { keyArg, prefixArg, UsageError } from "../args";
import { apiHint } from "../error-hints";
import type { CommandContext } from "./context";
import { maxRssBytes } from "./transfer";

const USAGE = "usage: sfstore rm [--purge] KEY... or sfstore rm -r [--purge] PREFIX [--yes]";

const where = (prefix: string) => (prefix === "" ? "the root" : prefix);

/** Keys looked up at once before a delete. */
const LOOKUPS_IN_FLIGHT = 8;

/** Says each refusal on stderr and the likely cause of each kind; exit 1 when there was any. */
function reportErrors(
  { notice }: CommandContext,
  errors: readonly DeleteError[],
  total: number,
  verb: string,
) {
  for (const e of errors) notice(`not ${verb}: ${e.key}: ${e.code}: ${e.message}`);
  if (errors.length === 0) return 0;
  notice(`${errors.length} of ${total} keys not ${verb}`);
  for (const code of new Set(errors.map((e) => e.code))) {
    const hint = apiHint(code);
    if (hint) notice(`likely cause: ${hint}`);
  }
  return 1;
}

/**
 * The keys that hold no object now, found with the API's read answer: a DELETE of such a key would
 * "succeed" and leave a delete marker behind, so it is not sent. A key the caller may not read
 * cannot be checked and is deleted as asked.
 */
async function missingKeys(context: CommandContext, keys: readonly string[]): Promise<DeleteError[]> {
  const missing: DeleteError[] = [];
  let next = 0;
  const look = async () => {
    for (let key = keys[next++]; key !== undefined; key = keys[next++]) {
      try {
        await context.client.stat(key);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status === 403) continue;
        if (error.status !== 404) throw error;
        missing.push({ key, code: error.code ?? "NoSuchKey", message: `${error.detail}; nothing removed` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, keys.length) }, look));
  return missing.sort((a, b) => keys.indexOf(a.key) - keys.indexOf(b.key));
}

/**
 * Deletes `keys` a batch at a time, saying each removed key as its batch completes and each
 * refusal on stderr; exit 1 when any key was refused or was not there.
 */
async function removeKeys(
  context: CommandContext,
  keys: readonly string[],
  extra: Record<string, unknown>,
  missing: readonly DeleteError[] = [],
): Promise<number> {
  const { client, json, result, lines } = context;
  const deleted: string[] = [];
  const errors: DeleteError[] = [...missing];
  const gone = new Set(missing.map((e) => e.key));
  const present = keys.filter((key) => !gone.has(key));
  for (let i = 0; i < present.length; i += MAX_DELETE_BATCH) {
    const out = await client.deleteMany(present.slice(i, i + MAX_DELETE_BATCH));
    deleted.push(...out.deleted);
    errors.push(...out.errors);
    if (!json) lines(out.deleted.map((key) => `removed ${key}`));
  }
  if (json) result({ command: "rm", ...extra, deleted, errors }, "");
  return reportErrors(context, errors, keys.length, "removed");
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/** Purges `keys`: a line per key, then the invalidation that tells the CDN to forget them. */
async function purge(context: CommandContext, keys: readonly string[], extra: Record<string, unknown>) {
  const { client, json, result, lines } = context;
  const out: PurgeResult = await client.purge(keys);
  if (json) result({ command: "rm", purge: true, ...extra, ...out }, "");
  else {
    lines(
      out.purged.map((p) =>
        p.deletedVersions === 0
          ? `purged ${p.key}: no version was stored; the CDN is told to drop its copies all the same`
          : `purged ${p.key}: ${plural(p.deletedVersions, "version")} deleted`,
      ),
    );
    const versions = out.purged.reduce((sum, p) => sum + p.deletedVersions, 0);
    const invalidated = out.invalidations.map(
      (i) => `${i.id} (${i.status}, ${plural(i.paths.length, "path")})`,
    );
    if (out.purged.length > 0) {
      lines([
        `${plural(out.purged.length, "key")} purged, ${plural(versions, "version")} deleted; CDN invalidation ${invalidated.join(", ") || "none"}`,
      ]);
    }
  }
  return reportErrors(context, out.errors, keys.length, "purged");
}

/** `rm -r PREFIX`: lists every key under the prefix first, so the question can say how many. */
async function removePrefix(context: CommandContext): Promise<number> {
  const { client, args, flag, interactive, confirm, json, result, notice } = context;
  const [text] = args;
  if (text === undefined || args.length > 1) throw new UsageError(USAGE);
  const prefix = prefixArg(text);
  const yes = flag("yes");
  const purging = flag("purge");
  // Checked before anything is listed: a script that forgot --yes must not half-run.
  if (!yes && !interactive) {
    throw new UsageError(
      `rm -r asks before it deletes, and stdin is not a terminal: pass --yes to ${purging ? "purge" : "delete"} every key under ${where(prefix)}`,
    );
  }
  const keys: string[] = [];
  for await (const object of client.listObjects(prefix)) keys.push(object.key);
  if (keys.length === 0) {
    notice(`nothing to remove under ${where(prefix)}`);
    if (json) result({ command: "rm", prefix, deleted: [], errors: [] }, "");
    return 0;
  }
  const count = plural(keys.length, "key");
  const question = purging
    ? `sfstore: purge ${count} under ${where(prefix)}, every version, for good? [y/N] `
    : `sfstore: remove ${count} under ${where(prefix)}? [y/N] `;
  if (!yes && !(await confirm(question))) {
    throw new PermanentError("not confirmed; nothing removed", undefined, "NotConfirmed");
  }
  return purging ? purge(context, keys, { prefix }) : removeKeys(context, keys, { prefix });
}

export async function rm(context: CommandContext): Promise<number> {
  const { client, args, flag, result } = context;
  if (flag("recursive")) return removePrefix(context);
  if (args.length === 0) throw new UsageError(USAGE);
  // Every key is checked before the first is deleted.
  for (const key of args) {
    if (key.endsWith("/") && key.length > 1) {
      throw new UsageError(
        `"${key}" names a prefix, not a key: sfstore rm -r ${key} removes every key under it`,
      );
    }
    keyArg(key);
  }
  const keys = [...new Set(args)];
  if (flag("purge")) return purge(context, keys, {});
  const missing = await missingKeys(context, keys);
  if (keys.length > 1) return removeKeys(context, keys, {}, missing);
  const [key] = keys as [string];
  const [absent] = missing;
  if (absent) throw new PermanentError(`no object at ${key}; nothing removed`, 404, "NoSuchKey");
  await client.remove(key);
  result({ command: "rm", key, maxRssBytes: maxRssBytes() }, `removed ${key}`);
  return 0;
}
