import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { expect } from "chai";
import { startLocalStack } from "../../../../local/stack/stack";
import { DataDirInUse, lockDataDir } from "../../../../local/storage/store/data-dir-lock";

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
}

function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "";
}

/**
 * A real zombie: a shell starts `cat` in the background, then replaces itself with `sleep`, which
 * never waits for a child. Once /proc shows the exec, the test closes cat's input, cat exits, and
 * no one reaps it. Resolves once /proc shows it in state Z.
 */
async function zombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn("sh", ["-c", "cat <&3 >/dev/null & echo $!; exec sleep 60"], {
    stdio: ["ignore", "pipe", "ignore", "pipe"],
  });
  const pid = await new Promise<number>((resolve) =>
    parent.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  const execed = () => readFileSync(`/proc/${parent.pid}/stat`, "utf8").includes("(sleep)");
  while (!execed()) await new Promise((resolve) => setImmediate(resolve));
  (parent.stdio[3] as Writable).end();
  while (stateOf(pid) !== "Z") await new Promise((resolve) => setImmediate(resolve));
  return { pid, parent };
}

describe("data directory lock", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfs-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => join(dir, "storage.lock");

  it("is held by one storage at a time, and free again once released", async () => {
    const release = await lockDataDir(dir);
    expect(readFileSync(lockFile(), "utf8")).to.equal(`${process.pid} ${startTime(process.pid)}\n`);
    const second = await lockDataDir(dir).then(
      () => "locked twice",
      (error: unknown) => error,
    );
    expect(second).to.be.instanceOf(DataDirInUse);
    expect((second as DataDirInUse).message).to.equal(
      `the data directory ${dir} is in use by process ${process.pid} (another local stack?): stop that one, or use another data directory (--data-dir); if no stack runs there, remove ${lockFile()}`,
    );
    await release();
    expect(existsSync(lockFile())).to.equal(false);
    await (await lockDataDir(dir))();
  });

  it("takes over a lock whose process is gone, or that names no process", async () => {
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    for (const left of [`${gone.stdout.toString()}\n`, "", "not a pid\n"]) {
      writeFileSync(lockFile(), left);
      const release = await lockDataDir(dir);
      expect(readFileSync(lockFile(), "utf8")).to.equal(`${process.pid} ${startTime(process.pid)}\n`);
      await release();
    }
  });

  it("takes over a lock whose owner is a zombie (killed, not yet reaped by its parent)", async () => {
    const { pid, parent } = await zombie();
    try {
      expect(stateOf(pid)).to.equal("Z");
      for (const left of [`${pid}\n`, `${pid} ${startTime(pid)}\n`]) {
        writeFileSync(lockFile(), left);
        const release = await lockDataDir(dir);
        expect(readFileSync(lockFile(), "utf8")).to.equal(`${process.pid} ${startTime(process.pid)}\n`);
        await release();
      }
    } finally {
      parent.kill();
    }
  });

  it("refuses a live owner, but takes over when the PID now names a process started at another time", async () => {
    const live = spawn("sleep", ["60"], { stdio: "ignore" });
    const pid = live.pid ?? 0;
    try {
      for (const left of [`${pid}\n`, `${pid} ${startTime(pid)}\n`]) {
        writeFileSync(lockFile(), left);
        const refused = await lockDataDir(dir).then(
          () => "locked",
          (error: DataDirInUse) => error.owner,
        );
        expect(refused).to.equal(pid);
      }
      writeFileSync(lockFile(), `${pid} ${Number(startTime(pid)) - 1}\n`);
      const release = await lockDataDir(dir);
      await release();
    } finally {
      live.kill();
    }
  });

  it("a second local stack on the same data directory is refused and the first keeps working", async function () {
    this.timeout(30_000);
    const quiet = () => {};
    const first = await startLocalStack({ dataDir: dir, apiPort: 0, log: quiet });
    try {
      const second = await startLocalStack({ dataDir: dir, apiPort: 0, log: quiet }).then(
        async (stack) => {
          await stack.stop();
          return "started";
        },
        (error: Error) => error.message,
      );
      expect(second).to.equal(
        `the data directory ${dir} is in use by process ${process.pid} (another local stack?): stop that one, or use another data directory (--data-dir); if no stack runs there, remove ${lockFile()}`,
      );
      const put = await fetch(`${first.apiUrl}/still/works.txt`, {
        method: "PUT",
        headers: { accept: "application/json" },
      });
      expect(put.status).to.equal(200);
    } finally {
      await first.stop();
    }
    const again = await startLocalStack({ dataDir: dir, apiPort: 0, log: quiet });
    await again.stop();
    expect(existsSync(lockFile())).to.equal(false);
  });

  it("a stack that fails to start (its API port in use) stops what it started and releases the directory", async function () {
    this.timeout(30_000);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const failed = await startLocalStack({ dataDir: dir, apiPort: port, log: () => {} }).then(
        async (stack) => {
          await stack.stop();
          return "started";
        },
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect(failed).to.equal("EADDRINUSE");
      expect(existsSync(lockFile())).to.equal(false);
    } finally {
      busy.close();
    }
  });
});
