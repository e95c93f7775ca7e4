import { randomBytes } from "node:crypto";
import { promises as fs, readdirSync, readFileSync, rmSync, truncateSync } from "node:fs";
import * as path from "node:path";
import { syncDirectory, type WriteFault, writeSmallFileDurably } from "./durable-write";
import { KeyHistory } from "./key-history";
import type { VersionEntry } from "./versions";

/**
 * A key's versions on disk: a snapshot (`index.json`, the key and its versions newest first) and an
 * append-only log of the changes made since (`log.jsonl`: a header line naming the key, then one
 * line per change). A change appends one line and syncs it, so it costs the same whatever the
 * key's history; once the log holds more lines than the key has versions, a new snapshot is
 * written and the log dropped, which keeps the work per change constant on average and the log
 * short to replay.
 *
 * A version or delete marker leaves for good in one rename: its directory becomes a tombstone
 * (`<versionId>.deleted`; a delete marker's is made empty), a step that needs no new space on disk,
 * so a full disk can still be cleaned. Its bytes go next, then a `remove` line that lets the tombstone
 * go; if that line cannot be written, the tombstone says the same at the next start.
 */
export const SNAPSHOT_FILE = "index.json";
export const LOG_FILE = "log.jsonl";
export const TOMBSTONE = ".deleted";

export type LogRecord = { readonly add: VersionEntry } | { readonly remove: string };

interface Snapshot {
  readonly key: string;
  /** Newest first. */
  readonly versions: readonly VersionEntry[];
}

export interface LoadedKey {
  readonly history: KeyHistory;
  /** Whether the key has a log file (a new one starts with its header). */
  readonly hasLog: boolean;
  /** Lines in the log after its header. */
  readonly logRecords: number;
  /** Versions removed by a tombstone whose `remove` line was never written. */
  readonly unrecorded: readonly string[];
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/**
 * The records of a log, and its header's key. A last line cut short by a crash was never
 * acknowledged: it is dropped and the file truncated to the whole lines before it, so that the
 * next append starts on a line of its own. Any other line that does not parse is corruption.
 */
function readLog(file: string): { key?: string; records: LogRecord[] } {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  // Text ending with "\n" leaves one empty string: everything before it is whole.
  const tail = lines.pop() ?? "";
  const records: LogRecord[] = [];
  let key: string | undefined;
  let whole = 0;
  for (const [i, line] of lines.entries()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (i < lines.length - 1 || tail !== "") throw new Error(`${file}: line ${i + 1} is not a record`);
      break;
    }
    whole += Buffer.byteLength(line, "utf8") + 1;
    if (i === 0) key = (parsed as { key?: string }).key;
    else records.push(parsed as LogRecord);
  }
  if (whole !== Buffer.byteLength(text, "utf8")) truncateSync(file, whole);
  return { ...(key === undefined ? {} : { key }), records };
}

/**
 * Loads one key's directory, or returns undefined (having removed the directory) when it holds
 * no version: a first write that crashed before its log line. Entries no record names (a version
 * renamed in before a crash, a snapshot's temp file, a tombstone already recorded) are removed.
 * Synchronous: it runs once per key at start, before the storage serves anything, and a bucket of
 * 100,000 keys loads several times faster without a thread-pool round trip per file.
 */
export function loadKeyDir(dir: string): LoadedKey | undefined {
  const names = readdirSync(dir);
  const snapshot = names.includes(SNAPSHOT_FILE)
    ? (JSON.parse(readFileSync(path.join(dir, SNAPSHOT_FILE), "utf8")) as Snapshot)
    : undefined;
  let log = names.includes(LOG_FILE) ? readLog(path.join(dir, LOG_FILE)) : undefined;
  if (log && log.key === undefined) {
    // Its header was cut short by a crash: the log was being created, nothing in it was acknowledged.
    rmSync(path.join(dir, LOG_FILE), { force: true });
    log = undefined;
  }
  const key = snapshot?.key ?? log?.key;
  if (key === undefined) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const history = new KeyHistory(key);
  for (const entry of [...(snapshot?.versions ?? [])].reverse()) history.add(entry);
  // Replaying is idempotent (an add of a present ID and a remove of an absent one change nothing), so
  // a log left behind by a crash right after its snapshot was written replays to the same state.
  for (const record of log?.records ?? []) {
    if ("add" in record) history.add(record.add);
    else history.remove(record.remove);
  }
  const unrecorded: string[] = [];
  for (const name of names) {
    if (name === SNAPSHOT_FILE || name === LOG_FILE) continue;
    if (name.endsWith(TOMBSTONE)) {
      const versionId = name.slice(0, -TOMBSTONE.length);
      if (history.remove(versionId)) {
        unrecorded.push(versionId);
        continue;
      }
    } else if (history.get(name)) {
      continue;
    }
    rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  if (history.size === 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return { history, hasLog: log !== undefined, logRecords: log?.records.length ?? 0, unrecorded };
}

export interface LogWriteOptions {
  /** False only to build test fixtures fast: nothing is synced, so nothing survives a crash. */
  readonly durable: boolean;
  /** A test's stand-in for a failing disk, called before the write. */
  readonly fault?: WriteFault;
}

/**
 * Appends records to the key's log in one write and syncs it; `create` starts a new log (with its
 * header line), whose name is then synced into the directory.
 */
export async function appendLog(
  dir: string,
  key: string,
  records: readonly LogRecord[],
  create: boolean,
  options: LogWriteOptions,
): Promise<void> {
  const file = path.join(dir, LOG_FILE);
  options.fault?.(file, 0);
  const lines = [...(create ? [{ key }] : []), ...records].map((r) => `${JSON.stringify(r)}\n`).join("");
  const handle = await fs.open(file, "a");
  try {
    await handle.write(lines);
    if (options.durable) await handle.datasync();
  } finally {
    await handle.close();
  }
  if (create && options.durable) await syncDirectory(dir);
}

/**
 * Writes a new snapshot of the key's versions (newest first) over the old one, then drops the log
 * whose records it now holds. A failure leaves the old snapshot and the log, which say the same.
 */
export async function writeSnapshot(
  dir: string,
  key: string,
  versions: readonly VersionEntry[],
  options: LogWriteOptions,
): Promise<void> {
  const tmp = path.join(dir, `${SNAPSHOT_FILE}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    options.fault?.(tmp, 0);
    const text = JSON.stringify({ key, versions } satisfies Snapshot);
    if (options.durable) await writeSmallFileDurably(tmp, text);
    else await fs.writeFile(tmp, text, { flag: "wx" });
    await fs.rename(tmp, path.join(dir, SNAPSHOT_FILE));
    if (options.durable) await syncDirectory(dir);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await fs.rm(path.join(dir, LOG_FILE), { force: true });
}
