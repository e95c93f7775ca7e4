import { promises as fs, readFileSync } from "node:fs";
import * as path from "node:path";

const LOCK_FILE = "storage.lock";

/** Another process (or another storage in this one) holds the data directory. */
export class DataDirInUse extends Error {
  constructor(
    readonly dir: string,
    readonly owner: number,
  ) {
    super(
      `the data directory ${dir} is in use by process ${owner} (another local stack?): stop that one, or use another data directory (--data-dir); if no stack runs there, remove ${path.join(dir, LOCK_FILE)}`,
    );
    this.name = "DataDirInUse";
  }
}

/** What Linux says of a process in /proc/PID/stat, or undefined where there is no such file. */
interface ProcessStat {
  /** R, S, D, Z (exited, not yet reaped by its parent), X (dead), … */
  readonly state: string;
  /** When it started, in clock ticks since boot: with the PID, it names one process for good. */
  readonly startTime: string;
}

function readStat(pid: number): ProcessStat | "gone" | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return undefined;
    // No such process, or no /proc at all (not Linux): only the first tells us anything.
    return hasProc() ? "gone" : undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ")": fields follow the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
}

function hasProc(): boolean {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the lock's owner still runs. A process killed with SIGKILL stays a zombie until its parent
 * reaps it, and `kill(pid, 0)` succeeds on a zombie: a restart right after `kill -9` would be
 * refused. /proc tells a zombie (state Z) from a live process, and the start time recorded in the
 * lock tells the owner from a later process that was given the same PID. Without /proc, whether
 * the PID answers a signal is all there is to go on.
 */
function ownerRuns(pid: number, startTime: string | undefined): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  const stat = readStat(pid);
  if (stat === "gone") return false;
  if (stat) {
    if (stat.state === "Z" || stat.state === "X" || stat.state === "x") return false;
    return startTime === undefined || startTime === stat.startTime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One storage at a time per data directory. The object store keeps every key's versions in memory
 * and appends to their logs, so a second process writing the same directory would lose versions the
 * first one wrote. The lock is a file holding the owner's PID and start time, created exclusively;
 * a lock whose owner is gone (killed, so it never released it; a zombie; or a PID now used by
 * another process) is taken over. Two processes taking over the same stale lock at the same
 * instant could both succeed: a local development tool accepts that window rather than depend on
 * advisory file locks, which Node does not offer.
 * Returns the function that releases the lock.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const own = readStat(process.pid);
  const content = `${process.pid}${own && own !== "gone" ? ` ${own.startTime}` : ""}\n`;
  for (;;) {
    try {
      await fs.writeFile(file, content, { flag: "wx" });
      return () => fs.rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const [pidText = "", startTime] = (await fs.readFile(file, "utf8").catch(() => "")).trim().split(" ");
    const owner = Number.parseInt(pidText, 10);
    if (ownerRuns(owner, startTime)) throw new DataDirInUse(dir, owner);
    await fs.rm(file, { force: true });
  }
}
