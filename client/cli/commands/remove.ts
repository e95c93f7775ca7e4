import { type DeleteError, MAX_DELETE_BATCH } from "../../files";
import { PermanentError } from "../../retry";
import { keyArg, prefixArg, UsageError } from "../args";
import { apiHint } from "../error-hints";
import type { CommandContext } from "./context";
import { maxRssBytes } from "./transfer";

const USAGE = "usage: sfs rm KEY... or sfs rm -r PREFIX [--yes]";

const where = (prefix: string) => (prefix === "" ? "the root" : prefix);

/**
 * Deletes `keys` a batch at a time, saying each removed key as its batch completes and each
 * refusal on stderr; exit 1 when any key was refused.
 */
async function removeKeys(
  { client, json, result, lines, notice }: CommandContext,
  keys: readonly string[],
  extra: Record<string, unknown>,
): Promise<number> {
  const deleted: string[] = [];
  const errors: DeleteError[] = [];
  for (let i = 0; i < keys.length; i += MAX_DELETE_BATCH) {
    const out = await client.deleteMany(keys.slice(i, i + MAX_DELETE_BATCH));
    deleted.push(...out.deleted);
    errors.push(...out.errors);
    if (!json) lines(out.deleted.map((key) => `removed ${key}`));
    for (const e of out.errors) notice(`not removed: ${e.key}: ${e.code}: ${e.message}`);
  }
  if (json) result({ command: "rm", ...extra, deleted, errors }, "");
  if (errors.length === 0) return 0;
  notice(`${errors.length} of ${keys.length} keys not removed`);
  for (const code of new Set(errors.map((e) => e.code))) {
    const hint = apiHint(code);
    if (hint) notice(`likely cause: ${hint}`);
  }
  return 1;
}

/** `rm -r PREFIX`: lists every key under the prefix first, so the question can say how many. */
async function removePrefix(context: CommandContext): Promise<number> {
  const { client, args, flag, interactive, confirm, json, result, notice } = context;
  const [text] = args;
  if (text === undefined || args.length > 1) throw new UsageError(USAGE, true);
  const prefix = prefixArg(text);
  const yes = flag("yes");
  // Checked before anything is listed: a script that forgot --yes must not half-run.
  if (!yes && !interactive) {
    throw new UsageError(
      `rm -r asks before it deletes, and stdin is not a terminal: pass --yes to delete every key under ${where(prefix)}`,
    );
  }
  const keys: string[] = [];
  for await (const object of client.listObjects(prefix)) keys.push(object.key);
  if (keys.length === 0) {
    notice(`nothing to remove under ${where(prefix)}`);
    if (json) result({ command: "rm", prefix, deleted: [], errors: [] }, "");
    return 0;
  }
  const count = `${keys.length} ${keys.length === 1 ? "key" : "keys"}`;
  if (!yes && !(await confirm(`sfs: remove ${count} under ${where(prefix)}? [y/N] `))) {
    throw new PermanentError("not confirmed; nothing removed", undefined, "NotConfirmed");
  }
  return removeKeys(context, keys, { prefix });
}

export async function rm(context: CommandContext): Promise<number> {
  const { client, args, flag, result } = context;
  if (flag("recursive")) return removePrefix(context);
  if (args.length === 0) throw new UsageError(USAGE, true);
  // Every key is checked before the first is deleted.
  for (const key of args) {
    if (key.endsWith("/") && key.length > 1) {
      throw new UsageError(`"${key}" names a prefix, not a key: sfs rm -r ${key} removes every key under it`);
    }
    keyArg(key);
  }
  if (args.length > 1) return removeKeys(context, [...new Set(args)], {});
  const [key] = args as [string];
  await client.remove(key);
  result({ command: "rm", key, maxRssBytes: maxRssBytes() }, `removed ${key}`);
  return 0;
}
