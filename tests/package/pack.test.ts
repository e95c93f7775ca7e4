import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { HELP } from "../../client/cli/help";
import { PROJECT_ROOT, readPrebuiltBundle } from "../../components/bundle/function-bundle";
import { CONSUMER_OUTPUT, CONSUMER_SOURCE, CONSUMER_TSCONFIG } from "./consumer";

const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const TSC = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * npm's own variables are left out: under `npm test` they would make the nested npm act on this
 * repository's configuration rather than the fresh project's.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("npm_") && name !== "INIT_CWD"),
  );
}

async function exec(file: string, args: string[], cwd: string): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function ok(file: string, args: string[], cwd: string): Promise<string> {
  const result = await exec(file, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

async function installedVersion(name: string): Promise<string> {
  const manifest = await readFile(path.join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8");
  return (JSON.parse(manifest) as { version: string }).version;
}

interface Manifest {
  readonly version: string;
  readonly scripts: Record<string, string>;
  readonly exports: Record<string, string | Record<string, string>>;
}

async function ownManifest(): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(PROJECT_ROOT, "package.json"), "utf8")) as Manifest;
}

describe("npm package", function () {
  this.timeout(300_000);
  let dir: string;
  let consumer: string;
  let tarball: string;
  let packed: string[];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sfs-pack-"));
    await ok(NPM, ["run", "build"], PROJECT_ROOT);
    // The build just ran; prepack would only run it again.
    const [pack] = JSON.parse(
      await ok(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], PROJECT_ROOT),
    ) as [{ filename: string; files: { path: string }[] }];
    tarball = path.join(dir, pack.filename);
    packed = pack.files.map((f) => f.path).sort();

    consumer = path.join(dir, "consumer");
    await mkdir(consumer);
    await writeFile(
      path.join(consumer, "package.json"),
      `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" })}\n`,
    );
    const install = [
      "install",
      "--no-audit",
      "--no-fund",
      tarball,
      `@pulumi/pulumi@${await installedVersion("@pulumi/pulumi")}`,
      `@types/node@${await installedVersion("@types/node")}`,
      `@uppy/core@${await installedVersion("@uppy/core")}`,
      `@uppy/aws-s3@${await installedVersion("@uppy/aws-s3")}`,
    ];
    // Offline from npm's cache when it holds every package; otherwise the registry fills the gaps.
    const offline = await exec(NPM, [...install, "--offline"], consumer);
    if (offline.code !== 0) await ok(NPM, [...install, "--prefer-offline"], consumer);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("packs compiled JavaScript, declarations and the function bundle, and of the sources only main", async () => {
    const outside = packed.filter(
      (p) =>
        !["package.json", "README.md", "bin/sfs.js"].includes(p) &&
        !/^dist\/(components|client|functions|function|browser)\//.test(p),
    );
    // npm always packs the file `main` names: the component package's entry for `pulumi package add`
    // from a checkout, which nothing in the npm package imports.
    expect(outside).to.deep.equal(["components/provider/main.ts"]);
    expect(packed.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).to.deep.equal([
      "components/provider/main.ts",
    ]);
    const own = await ownManifest();
    expect(Object.keys(own.exports)).to.deep.equal([
      ".",
      "./client",
      "./browser",
      "./uppy",
      "./package.json",
    ]);
    const targets = Object.values(own.exports).flatMap((t) =>
      typeof t === "string" ? [t] : Object.values(t),
    );
    for (const file of [...targets.map((t) => t.replace(/^\.\//, "")), "dist/client/cli/main.js"]) {
      expect(packed, file).to.include(file);
    }
    const bundle = readPrebuiltBundle();
    expect(packed.filter((p) => p.startsWith("dist/function/"))).to.deep.equal(
      Object.keys(bundle.files).map((name) => `dist/function/${name}`),
    );
    const manifest = JSON.parse(
      await readFile(path.join(consumer, "node_modules", "signed-file-store", "package.json"), "utf8"),
    ) as Record<string, unknown>;
    expect(manifest.private).to.equal(undefined);
    expect(manifest.version).to.equal(own.version);
    // npm pack and npm publish build first, as this test does.
    expect(own.scripts.prepack).to.equal("npm run build");
  });

  it("type-checks a consumer of every entry in a fresh project", async () => {
    await writeFile(path.join(consumer, "consumer.mts"), CONSUMER_SOURCE);
    await writeFile(path.join(consumer, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    const result = await exec(process.execPath, [TSC, "-p", "tsconfig.json"], consumer);
    expect(result.stdout).to.equal("");
    expect(result.code).to.equal(0);
  });

  it("runs the consumer: the component under mocks deploys the packed function bundle", async () => {
    // What only building the function needs is not installed: the bundle comes built.
    for (const name of ["esbuild", "@aws-sdk/client-s3", "@aws-sdk/client-ssm", "jose"]) {
      expect(existsSync(path.join(consumer, "node_modules", name)), name).to.equal(false);
    }
    const result = await exec(process.execPath, [path.join("out", "consumer.mjs")], consumer);
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      ...CONSUMER_OUTPUT,
      component: { ...CONSUMER_OUTPUT.component, sourceCodeHash: readPrebuiltBundle().sha256 },
    });
  });

  it("runs sfstore --help from node_modules/.bin with plain node, from the compiled CLI", async () => {
    const installed = path.join(consumer, "node_modules", "signed-file-store");
    expect(existsSync(path.join(installed, "client", "cli", "main.ts"))).to.equal(false);
    expect(existsSync(path.join(consumer, "node_modules", "tsx"))).to.equal(false);
    const result = await exec(path.join(consumer, "node_modules", ".bin", "sfs"), ["--help"], consumer);
    expect(result).to.deep.equal({ code: 0, stdout: HELP, stderr: "" });
    expect(result.stdout.split("\n")[0]).to.equal(
      "sfstore: put, get, list, copy, move and remove files in a signed-file-store",
    );
  });
});
