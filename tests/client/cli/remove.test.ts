import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { type JwksFixture, startJwks } from "../../support/jwks-server";
import { cliPath, sfs, storeObjects } from "../../support/sfs-cli";

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs sfstore on a pseudo-terminal (util-linux `script`), answering its question once it is asked.
 * The terminal echoes the answer and ends lines with \r\n; both are kept, escape sequences are not.
 */
async function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, await cliPath(), ...args].map(quote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    env: { ...process.env, TERM: "dumb" },
  });
  let output = "";
  let answered = false;
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (!answered && output.includes("[y/N] ")) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  });
  return new Promise((resolve) =>
    child.on("close", (code) => {
      child.stdin.end();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences start with ESC
      resolve({ code, output: output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "") });
    }),
  );
}

describe("sfstore rm -r: asks on a terminal, refuses without one", function () {
  this.timeout(300_000);
  let dir: string;
  let stack: LocalStack;
  const calls: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-remove-"));
    stack = await startLocalStack({
      dataDir: join(dir, "data"),
      apiPort: 0,
      log: (fields) => {
        if (fields.component === "function" && fields.message === "request") {
          calls.push(`${fields.method} ${fields.query ?? ""}`);
        }
      },
    });
    await storeObjects(stack.apiUrl, [
      ["confirm/a", "a"],
      ["confirm/b/c", "c"],
      ["confirmed", "not under confirm/"],
    ]);
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const api = () => ["--api-url", stack.apiUrl];
  const everything = async () => (await sfs(["ls", "-r", ...api()])).stdout;

  it("without a terminal and without --yes exits 2 before any request, and deletes nothing", async () => {
    const from = calls.length;
    const refused = await sfs(["rm", "-r", "confirm", ...api()]);
    expect(refused.code).to.equal(2);
    expect(refused.stdout).to.equal("");
    expect(refused.stderr).to.equal(
      "sfstore: rm -r asks before it deletes, and stdin is not a terminal: pass --yes to delete every key under confirm/\n" +
        "sfstore: see sfstore --help\n",
    );
    // --yes counts only on the command line: a variable left in the environment is not an answer.
    const fromEnv = await sfs(["rm", "-r", "confirm/", "--json", ...api()], { SFS_YES: "1" });
    expect(fromEnv.code).to.equal(2);
    expect(JSON.parse(fromEnv.stdout).error.code).to.equal("UsageError");
    expect(calls.slice(from)).to.deep.equal([]);
    expect(await everything()).to.equal("confirm/a\nconfirm/b/c\nconfirmed\n");
  });

  it("on a terminal, asks how many keys it will delete; no deletes nothing, y deletes just them", async () => {
    const declined = await onTerminal(["rm", "-r", "confirm", ...api()], "n");
    expect(declined.output).to.equal(
      "sfstore: remove 2 keys under confirm/? [y/N] n\nsfstore: not confirmed; nothing removed\n",
    );
    expect(declined.code).to.equal(1);
    expect(await everything()).to.equal("confirm/a\nconfirm/b/c\nconfirmed\n");

    // Enter alone is no; under --json the refusal is the one document on stdout.
    const enter = await onTerminal(["rm", "-r", "confirm", "--json", ...api()], "");
    expect(enter.output).to.equal(
      "sfstore: remove 2 keys under confirm/? [y/N] \nsfstore: not confirmed; nothing removed\n" +
        '{"error":{"code":"NotConfirmed","message":"not confirmed; nothing removed"}}\n',
    );
    expect(enter.code).to.equal(1);
    expect(await everything()).to.equal("confirm/a\nconfirm/b/c\nconfirmed\n");

    const accepted = await onTerminal(["rm", "-r", "confirm", ...api()], "y");
    expect(accepted.output).to.equal(
      "sfstore: remove 2 keys under confirm/? [y/N] y\nremoved confirm/a\nremoved confirm/b/c\n",
    );
    expect(accepted.code).to.equal(0);
    expect(await everything()).to.equal("confirmed\n");

    const empty = await sfs(["rm", "-r", "confirm", "--yes", ...api()]);
    expect(empty).to.deep.equal({
      code: 0,
      stdout: "",
      stderr: "sfstore: nothing to remove under confirm/\n",
    });
  });
});

describe("sfstore under jwt rules {sub}/: no listing, copy, restore or delete outside the caller's prefix", function () {
  this.timeout(300_000);
  let dir: string;
  let jwks: JwksFixture;
  let stack: LocalStack;
  let alice: string;
  let bob: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-jwt-files-"));
    jwks = await startJwks();
    stack = await startLocalStack({
      dataDir: join(dir, "data"),
      apiPort: 0,
      auth: {
        mode: "jwt",
        issuer: jwks.issuer,
        audience: jwks.audience,
        jwksUrl: jwks.url,
        rules: { read: ["{sub}/"], write: ["{sub}/"], delete: ["{sub}/"] },
      },
      log: () => {},
    });
    alice = await jwks.sign({ sub: "alice" }, { expiresIn: "1h" });
    bob = await jwks.sign({ sub: "bob" }, { expiresIn: "1h" });
    await storeObjects(
      stack.apiUrl,
      [
        ["alice/a.txt", "a"],
        ["alice/sub/b.txt", "b"],
      ],
      { token: alice },
    );
    await storeObjects(stack.apiUrl, [["bob/secret.txt", "s"]], { token: bob });
  });
  after(async () => {
    await stack.stop();
    await jwks.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const as = (token: string) => ["--api-url", stack.apiUrl, "--token", token];
  const forbidden =
    "sfstore: likely cause: the token's rules do not let it do this to this key: check the key's prefix, or use a token that may\n";

  it("ls / shows only the caller's prefix, and ls -r / only its keys; another's prefix is 403", async () => {
    expect(await sfs(["ls", "/", ...as(alice)])).to.deep.equal({
      code: 0,
      stdout: "PRE alice/\n",
      stderr: "",
    });
    expect((await sfs(["ls", ...as(bob)])).stdout).to.equal("PRE bob/\n");
    expect((await sfs(["ls", "-r", "/", ...as(alice)])).stdout).to.equal("alice/a.txt\nalice/sub/b.txt\n");
    const other = await sfs(["ls", "bob/", ...as(alice)]);
    expect(other.code).to.equal(1);
    expect(other.stdout).to.equal("");
    expect(other.stderr).to.equal(`sfstore: 403 Forbidden: this caller may not list "bob/"\n${forbidden}`);
  });

  it("cp, versions and restore of another's key are 403", async () => {
    const cp = await sfs(["cp", "bob/secret.txt", "alice/stolen.txt", ...as(alice)]);
    expect(cp.code).to.equal(1);
    expect(cp.stderr).to.equal(
      `sfstore: 403 Forbidden: this token may not read "bob/secret.txt"\n${forbidden}`,
    );
    const versions = await sfs(["versions", "bob/secret.txt", "--json", ...as(bob)]);
    const id = JSON.parse(versions.stdout).versions[0].versionId as string;
    const seen = await sfs(["versions", "bob/secret.txt", ...as(alice)]);
    expect(seen.stderr).to.equal(
      `sfstore: 403 Forbidden: this token may not read "bob/secret.txt"\n${forbidden}`,
    );
    const restore = await sfs(["restore", "bob/secret.txt", id, ...as(alice)]);
    expect(restore.stderr).to.equal(
      `sfstore: 403 Forbidden: this token may not write "bob/secret.txt"\n${forbidden}`,
    );
    expect((await sfs(["ls", "-r", "bob/", ...as(bob)])).stdout).to.equal("bob/secret.txt\n");
  });

  it("rm of keys with mixed permissions removes the caller's, reports the rest and exits 1; rm -r / only the caller's", async () => {
    const mixed = await sfs(["rm", "alice/a.txt", "bob/secret.txt", ...as(alice)]);
    expect(mixed.stdout).to.equal("removed alice/a.txt\n");
    expect(mixed.stderr).to.equal(
      'sfstore: not removed: bob/secret.txt: Forbidden: this caller may not delete "bob/secret.txt"\n' +
        `sfstore: 1 of 2 keys not removed\n${forbidden}`,
    );
    expect(mixed.code).to.equal(1);
    const json = await sfs(["rm", "alice/sub/b.txt", "bob/secret.txt", "--json", ...as(alice)]);
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      command: "rm",
      deleted: ["alice/sub/b.txt"],
      errors: [
        { key: "bob/secret.txt", code: "Forbidden", message: 'this caller may not delete "bob/secret.txt"' },
      ],
    });
    expect((await sfs(["ls", "-r", "bob/", ...as(bob)])).stdout).to.equal("bob/secret.txt\n");

    await storeObjects(stack.apiUrl, [["alice/again.txt", "again"]], { token: alice });
    const all = await sfs(["rm", "-r", "/", "--yes", ...as(alice)]);
    expect(all).to.deep.equal({ code: 0, stdout: "removed alice/again.txt\n", stderr: "" });
    expect((await sfs(["ls", "-r", "/", ...as(bob)])).stdout).to.equal("bob/secret.txt\n");
  });
});
