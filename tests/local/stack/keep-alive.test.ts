import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
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
});
