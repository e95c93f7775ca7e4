import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { startLocalStack } from "../../../../local/stack/stack";
import { DataDirInUse, lockDataDir } from "../../../../local/storage/store/data-dir-lock";

describe("data directory lock", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sfs-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => join(dir, "storage.lock");

  it("is held by one storage at a time, and free again once released", async () => {
    const release = await lockDataDir(dir);
    expect(readFileSync(lockFile(), "utf8")).to.equal(`${process.pid}\n`);
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
      expect(readFileSync(lockFile(), "utf8")).to.equal(`${process.pid}\n`);
      await release();
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
