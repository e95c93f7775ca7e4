import { mkdtempSync, rmSync } from "node:fs";
import { Agent, type IncomingMessage, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";

/**
 * Node closes a keep-alive connection after 5 idle seconds by default; a client that reuses it at
 * that moment (its event loop busy when the server's FIN arrived) gets "socket hang up". Every
 * server of the stack keeps an idle connection for 60 s and says so in `Keep-Alive`.
 */
describe("local stack: idle keep-alive connections", function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-keep-alive-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("every server keeps an idle connection for 60 s, not Node's 5 s", async () => {
    const agent = new Agent({ keepAlive: true });
    const keepAlive = (url: string) =>
      new Promise<string>((resolve, reject) => {
        request(url, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(String(res.headers["keep-alive"])));
        })
          .on("error", reject)
          .end();
      });
    const servers = [stack.apiUrl, stack.edgeUrl, stack.cloudFrontApiUrl, stack.storageUrl, stack.exampleUrl];
    expect(await Promise.all(servers.map((url) => keepAlive(url)))).to.deep.equal(
      new Array(servers.length).fill("timeout=60"),
    );
    agent.destroy();
  });

  it("a stop lets a download in flight finish, then closes its connection at once, not 60 s later", async function () {
    // The failure this guards against is a stop that waits out the keep-alive timeout.
    this.timeout(30_000);
    const otherDir = mkdtempSync(join(tmpdir(), "sfs-keep-alive-stop-"));
    const other = await startLocalStack({ dataDir: otherDir, apiPort: 0, log: () => {} });
    try {
      const body = Buffer.alloc(32 * 1024 * 1024, 9);
      const step = (await (
        await fetch(`${other.apiUrl}/big.bin`, { method: "PUT", headers: { accept: "application/json" } })
      ).json()) as { url: string; headers: Record<string, string> };
      expect((await fetch(step.url, { method: "PUT", headers: step.headers, body })).status).to.equal(200);
      const read = (await (
        await fetch(`${other.apiUrl}/big.bin`, { headers: { accept: "application/json" } })
      ).json()) as {
        url: string;
      };
      const agent = new Agent({ keepAlive: true });
      // A viewer that has its headers and has not read the body yet when the stop begins.
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        request(read.url, { agent }, (res) => {
          res.pause();
          resolve(res);
        })
          .on("error", reject)
          .end();
      });
      const stopped = other.stop();
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      response.resume();
      await new Promise((resolve) => response.on("end", resolve));
      await stopped;
      expect(received).to.equal(body.length);
      agent.destroy();
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
