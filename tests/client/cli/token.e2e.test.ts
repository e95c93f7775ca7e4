/**
 * `sfstore token` against the local stack started as a user starts it, `npm start -- --auth jwt` with no
 * issuer flags: it needs the stack's development issuer (CONTRACTS.md §3), wired on merge.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { sfs } from "../../support/sfs-cli";
import { closedPort } from "../fake-server";

const ROOT = join(__dirname, "..", "..", "..");

/** Polls `url` until it answers 200; the stack's start is the event, with a generous safety limit. */
async function answered(url: string, child: ChildProcess): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 120_000; ) {
    if (child.exitCode !== null) throw new Error(`the stack exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered`);
}

describe("sfstore token with the local stack's development issuer (e2e)", function () {
  this.timeout(240_000);
  let dir: string;
  let child: ChildProcess;
  let apiUrl: string;
  let issuerUrl: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-token-e2e-"));
    const [api, example, issuer] = [await closedPort(), await closedPort(), await closedPort()];
    apiUrl = `http://127.0.0.1:${api}`;
    issuerUrl = `http://127.0.0.1:${issuer}`;
    child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "local", "main.ts"), "--auth", "jwt", "--port", String(api)].concat([
        "--example-port",
        String(example),
        "--issuer-port",
        String(issuer),
        "--data-dir",
        join(dir, "data"),
      ]),
      { stdio: "ignore", cwd: ROOT },
    );
    await answered(`${issuerUrl}/.well-known/jwks.json`, child);
  });
  after(async () => {
    child?.kill("SIGTERM");
    if (child && child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints a token for the subject and scopes asked, which the stack takes; a scope left out is refused", async () => {
    const issued = await sfs(["token", "--sub", "alice", "--scope", "read,write", "--expires", "1h"], {
      SFS_ISSUER_URL: issuerUrl,
    });
    expect(issued.stderr).to.equal("");
    expect(issued.code).to.equal(0);
    const token = issued.stdout.trimEnd();
    expect(token).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const file = join(dir, "note.txt");
    writeFileSync(file, "from alice");
    const put = await sfs(["put", file, "alice/note.txt", "--api-url", apiUrl, "--token", token]);
    expect(put.code, put.stderr).to.equal(0);
    const removed = await sfs(["rm", "alice/note.txt", "--api-url", apiUrl, "--token", token]);
    expect(removed.code).to.equal(1);
    expect(removed.stderr.split("\n")[0]).to.match(/^sfstore: 403 Forbidden: /);

    const json = JSON.parse(
      (await sfs(["token", "--sub", "bob", "--json", "--issuer-url", issuerUrl])).stdout,
    ) as Record<string, unknown>;
    expect(Object.keys(json).sort()).to.deep.equal(["expiresAt", "scope", "sub", "token"]);
    expect(json).to.include({ sub: "bob", scope: "read write delete" });
  });
});
