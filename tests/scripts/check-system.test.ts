import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";

const SCRIPT = path.resolve(__dirname, "../../scripts/check-system.mjs");
const INSTALL = "run: sudo apt-get update && sudo apt-get install -y chromium curl openssl";

describe("npm test's system check (scripts/check-system.mjs)", () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(path.join(tmpdir(), "sfs-check-"));
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  function tool(name: string, mode = 0o755): string {
    const file = path.join(bin, name);
    writeFileSync(file, "#!/bin/sh\n");
    chmodSync(file, mode);
    return file;
  }
  const run = (env: Record<string, string>) => {
    const result = spawnSync(process.execPath, [SCRIPT], { env, encoding: "utf8" });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it("names every missing tool and the one command that installs them, and fails at once", () => {
    expect(
      run({ PATH: path.join(bin, "empty"), CHROMIUM_PATH: path.join(bin, "no-chromium") }),
    ).to.deep.equal({
      status: 1,
      stdout: "",
      stderr: `missing: chromium curl openssl — ${INSTALL}\n`,
    });
  });

  it("counts only executables: a curl that cannot run is missing", () => {
    tool("openssl");
    tool("curl", 0o644);
    expect(run({ PATH: bin, CHROMIUM_PATH: tool("chromium") })).to.deep.equal({
      status: 1,
      stdout: "",
      stderr: `missing: curl — ${INSTALL}\n`,
    });
  });

  it("passes silently when chromium (CHROMIUM_PATH), curl and openssl are there", () => {
    tool("curl");
    tool("openssl");
    expect(run({ PATH: bin, CHROMIUM_PATH: tool("chromium") })).to.deep.equal({
      status: 0,
      stdout: "",
      stderr: "",
    });
  });

  it("looks for chromium at /usr/bin/chromium without CHROMIUM_PATH", () => {
    tool("curl");
    tool("openssl");
    const result = run({ PATH: bin });
    expect(result.status).to.equal(spawnSync("test", ["-x", "/usr/bin/chromium"]).status === 0 ? 0 : 1);
  });
});
