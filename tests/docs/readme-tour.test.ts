import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { blocksUnder, shellCommands } from "./markdown";

const ROOT = path.resolve(__dirname, "../..");
const run = promisify(execFile);

/** The tour's addresses as the README writes them: the stack's default ports. */
const README_API = "http://127.0.0.1:3000";
const README_EXAMPLE = "http://127.0.0.1:3001";

/**
 * Tour lines that open a browser. They are not run here: the test fetches the page they open
 * instead, and the page itself is driven in Chromium by tests/examples/browser.test.ts.
 */
const NEEDS_A_BROWSER = ["xdg-open http://127.0.0.1:3001/"];

/**
 * The environment the tour runs in: the user's, without npm's variables of the run around this test
 * (under `npm test` they would make the nested npm and sfs act as part of that run) and without any
 * SFS_ setting that would move the stack or the CLI elsewhere. npm exec may never download a
 * package: `npx sfstore` must be the repository's own CLI.
 */
function tourEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith("npm_") && !name.startsWith("SFS_") && name !== "INIT_CWD",
    ),
  );
  return { ...inherited, npm_config_yes: "false", ...extra };
}

interface RunningStart {
  readonly child: ChildProcess;
  /**
   * Settles once bash has exited and every process that held its stderr (npm, tsx, the stack) has
   * closed it: the whole process group is gone, not only its leader.
   */
  readonly exited: Promise<number | null>;
  readonly hasExited: () => boolean;
  readonly banner: () => string;
}

/** Runs the tour's start command in its own process group, as a terminal runs it. */
function startStack(command: string, env: NodeJS.ProcessEnv): RunningStart {
  const child = spawn("bash", ["-c", command], {
    cwd: ROOT,
    env,
    detached: true,
    // The request log on stdout is not read; the banner and errors come on stderr.
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      done = true;
      resolve(code);
    }),
  );
  return { child, exited, hasExited: () => done, banner: () => stderr };
}

/** Resolves with the banner once the stack says it is ready; rejects if it exits first. */
function ready(start: RunningStart): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!start.banner().includes("Ctrl-C stops")) return;
      start.child.stderr?.off("data", check);
      resolve(start.banner());
    };
    start.child.stderr?.on("data", check);
    void start.exited.then((code) => reject(new Error(`npm start exited ${code}:\n${start.banner()}`)));
  });
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("docs: the README's five-minute tour runs against the local stack", function () {
  // A safety net only: the tour takes about 15 s on two quiet cores.
  this.timeout(180_000);
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const blocks = blocksUnder(readme, "Five-minute tour").filter((b) => b.info === "sh");
  let work: string;
  let start: RunningStart | undefined;

  before(() => {
    // Inside the repository, where `npx sfstore` finds the repository's CLI (as the README says), in a
    // folder git ignores, so the tour's files never land among the sources.
    const cache = path.join(ROOT, "node_modules", ".cache");
    mkdirSync(cache, { recursive: true });
    work = mkdtempSync(path.join(cache, "sfs-readme-tour-"));
  });

  after(async () => {
    // A test that failed half-way leaves the stack running: stop the whole group at once.
    if (start?.child.pid !== undefined && !start.hasExited()) {
      process.kill(-start.child.pid, "SIGKILL");
      await start.exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  it("has a start block and a block of commands that cover the tour", () => {
    expect(blocks).to.have.length(2);
    const [startBlock, tourBlock] = blocks.map(shellCommands);
    expect(startBlock).to.deep.equal(["npm start"]);
    const tour = (tourBlock ?? []).join("\n");
    for (const part of [
      "curl -L -T cat.png http://127.0.0.1:3000/photos/cat.png",
      "curl -L -o back.png http://127.0.0.1:3000/photos/cat.png",
      "-H 'Accept: application/json'",
      "npx sfstore put ",
      "npx sfstore get ",
      "npx sfstore ls ",
      "npx sfstore share ",
      "npx sfstore stat ",
      "npx sfstore rm ",
      ...NEEDS_A_BROWSER,
    ]) {
      expect(tour, part).to.include(part);
    }
  });

  it("every command exits 0, and what comes back is what went up", async () => {
    const [startBlock, tourBlock] = blocks.map(shellCommands);
    const startCommand = startBlock?.[0] ?? "";
    const commands = tourBlock ?? [];
    expect(commands.length).to.be.above(10);

    // Free ports and a data directory of the test's own, through the variables every option reads.
    start = startStack(
      startCommand,
      tourEnv({ SFS_PORT: "0", SFS_EXAMPLE_PORT: "0", SFS_DATA_DIR: path.join(work, "data") }),
    );
    const banner = await ready(start);
    const api = /API \(function URL\)\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? "";
    const example = /example page\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] ?? "";
    expect(api, banner).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(example, banner).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);

    const env = tourEnv({ SFS_API_URL: api, SFS_STATE_DIR: path.join(work, "state") });
    const outputs = new Map<string, string>();
    const skipped: string[] = [];
    for (const written of commands) {
      const command = written.replaceAll(README_API, api).replaceAll(README_EXAMPLE, example);
      expect(command).not.to.include("127.0.0.1:3000");
      const browserLine = NEEDS_A_BROWSER.find((line) => written.startsWith(line));
      if (browserLine !== undefined) {
        skipped.push(browserLine);
        const page = await fetch(command.split(/\s+/)[1] ?? "");
        expect(page.status, command).to.equal(200);
        expect(page.headers.get("content-type"), command).to.match(/^text\/html/);
        continue;
      }
      try {
        const { stdout } = await run("bash", ["-o", "pipefail", "-c", command], {
          cwd: work,
          env,
          maxBuffer: 16 * 1024 * 1024,
        });
        outputs.set(written, stdout);
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        expect.fail(`${written}\nexited ${e.code}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
      }
    }
    expect(skipped).to.deep.equal(NEEDS_A_BROWSER);

    expect(sha256(path.join(work, "back.png"))).to.equal(sha256(path.join(work, "cat.png")));
    expect(sha256(path.join(work, "back.bin"))).to.equal(sha256(path.join(work, "big.bin")));
    // The share link is a CDN URL anyone may open: it serves the very bytes of big.bin.
    const share =
      [...outputs].find(([written]) => written.startsWith("npx sfstore share "))?.[1].trim() ?? "";
    const shared = await fetch(share);
    expect(shared.status, share).to.equal(200);
    expect(
      createHash("sha256")
        .update(Buffer.from(await shared.arrayBuffer()))
        .digest("hex"),
    ).to.equal(sha256(path.join(work, "big.bin")));

    // Ctrl-C in the stack's terminal: the whole process group gets SIGINT, and the stack stops.
    if (start.child.pid !== undefined) process.kill(-start.child.pid, "SIGINT");
    await start.exited;
  });
});
