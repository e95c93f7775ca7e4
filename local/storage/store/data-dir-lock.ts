import { promises as fs } from "node:fs";
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

/**
 * One storage at a time per data directory. The object store keeps every key's version list in
 * memory and rewrites its index whole, so a second process writing the same directory would drop
 * versions the first one wrote. The lock is a file holding the owner's PID, created exclusively; a
 * lock whose process is gone (killed, so it never released it) is taken over. Two processes taking
 * over the same stale lock at the same instant could both succeed: a local development tool accepts
 * that window rather than depend on advisory file locks, which Node does not offer.
 * Returns the function that releases the lock.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (;;) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: "wx" });
      return () => fs.rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(await fs.readFile(file, "utf8").catch(() => ""), 10);
    if (isRunning(owner)) throw new DataDirInUse(dir, owner);
    await fs.rm(file, { force: true });
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
