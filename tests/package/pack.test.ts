import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { expect } from "chai";
import { HELP } from "../../client/cli/help";
import { PROJECT_ROOT, readPrebuiltBundle } from "../../components/bundle/function-bundle";
import { DESCRIPTION, INPUTS, OUTPUTS, TYPES } from "../components/provider/schema.expected";
import {
  BROWSER_SOURCE,
  CLIENT_SOURCE,
  CONSUMER_OUTPUT,
  CONSUMER_SOURCE,
  CONSUMER_TSCONFIG,
  PLUGIN_CONSTRUCT_SOURCE,
} from "./consumer";
import {
  apparentSize,
  declarationImports,
  diskUsage,
  emptyProject,
  exec,
  type Install,
  installedPackages,
  NPM,
  npmInstall,
  ok,
} from "./npm";

/*
 * One build and one `npm pack` of every package, then one install per consumer into an empty
 * project, shared by every test here: the plugin's tests are in this file too, so that nothing is
 * built or installed twice.
 */

const TSC = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
const KB = 1000;
const MB = 1000 * KB;
// The gRPC library the Pulumi SDK itself serves with, whichever copy it resolved.
const { credentials } = createRequire(require.resolve("@pulumi/pulumi"))("@grpc/grpc-js") as typeof grpc;

interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly integrity: string;
  readonly files: { readonly path: string }[];
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly main?: string;
  readonly scripts: Record<string, string>;
  readonly exports: Record<string, string | Record<string, string>>;
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional: boolean }>;
}

async function manifestOf(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every file the export map points at, without its leading `./`. */
function exportTargets(manifest: Manifest): string[] {
  return Object.values(manifest.exports)
    .flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)))
    .map((t) => t.replace(/^\.\//, ""));
}

/** Starts the plugin as the Node.js language host does for `pulumi package add`; resolves its port. */
function startPlugin(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once("exit", (code) => reject(new Error(`the plugin exited ${code} before serving:\n${stderr}`)));
  });
}

/** The schema a plugin serves over gRPC, from `runPlugin` (a copy of @pulumi/pulumi's runner) run on `dir`. */
async function servedSchema(runPlugin: string, dir: string, cwd: string): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [runPlugin, dir], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const port = await startPlugin(child);
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const schema = await new Promise<string>((resolve, reject) =>
      client.getSchema(new GetSchemaRequest(), (error, response) =>
        error ? reject(error) : resolve(response.getSchema()),
      ),
    );
    client.close();
    return JSON.parse(schema) as Record<string, unknown>;
  } finally {
    child.kill();
  }
}

function expectComponentSchema(schema: Record<string, unknown>, version: string): void {
  const resources = schema.resources as Record<string, Record<string, unknown>>;
  expect(schema.name).to.equal("signed-file-store");
  expect(schema.version).to.equal(version);
  expect(Object.keys(resources).sort()).to.deep.equal([
    "signed-file-store:index:SignedFileStore",
    "signed-file-store:index:SignedFileStoreAccount",
  ]);
  const component = resources["signed-file-store:index:SignedFileStore"] ?? {};
  expect(component.inputProperties).to.deep.equal(INPUTS);
  expect(component.properties).to.deep.equal(OUTPUTS);
  expect(component.description).to.equal(DESCRIPTION);
  expect(schema.types).to.deep.equal(TYPES);
}

describe("npm packages, packed and installed as a user installs them", function () {
  // A safety net only: the build, the packs and the installs take about a minute on two quiet cores.
  this.timeout(400_000);
  let dir: string;
  const packed = new Map<string, Packed>();
  let root: Manifest;
  let browser: string;
  let client: string;
  let component: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sfs-packages-"));
    await ok(NPM, ["run", "-s", "build"], PROJECT_ROOT);
    // The build just ran; every package's prepack would only run it again.
    const packs = JSON.parse(
      await ok(
        NPM,
        [
          "pack",
          "--ignore-scripts",
          "--json",
          "--workspaces",
          "--include-workspace-root",
          "--pack-destination",
          dir,
        ],
        PROJECT_ROOT,
      ),
    ) as Packed[];
    for (const pack of packs) packed.set(pack.name, pack);
    root = await manifestOf(PROJECT_ROOT);
    const workspaces: Record<string, string> = {
      "signed-file-store": "",
      sfstore: "packages/client",
      "signed-file-store-browser": "packages/browser",
    };
    const tarball = (name: string): Install => {
      const pack = packed.get(name);
      if (!pack) throw new Error(`${name} was not packed`);
      const workspace = workspaces[name] ?? "";
      return { tarball: path.join(dir, pack.filename), name, integrity: pack.integrity, workspace };
    };

    browser = await emptyProject(path.join(dir, "browser-app"));
    client = await emptyProject(path.join(dir, "client-app"));
    component = await emptyProject(path.join(dir, "infra"));
    // A program that already has the Pulumi SDK and the AWS provider adds the component, and the
    // client and browser packages for the same program's type-check; production dependencies only.
    const registry = (name: string): Install => ({ registry: name });
    const peers = ["@pulumi/pulumi", "@pulumi/aws", "@types/node"].map(registry);
    const uppy = ["@uppy/core", "@uppy/aws-s3"].map(registry);
    await Promise.all([
      npmInstall(browser, [tarball("signed-file-store-browser")]),
      npmInstall(client, [tarball("sfstore")]),
      npmInstall(
        component,
        [
          tarball("signed-file-store"),
          ...peers,
          tarball("sfstore"),
          tarball("signed-file-store-browser"),
          ...uppy,
        ],
        ["--omit=dev"],
      ),
    ]);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("npm pack makes the three packages, each of its own built files", async () => {
    expect([...packed.keys()].sort()).to.deep.equal([
      "sfstore",
      "signed-file-store",
      "signed-file-store-browser",
    ]);
    const files = (name: string) => (packed.get(name)?.files ?? []).map((f) => f.path).sort();

    const componentFiles = files("signed-file-store");
    expect(
      componentFiles.filter(
        (p) =>
          !["package.json", "README.md", "PulumiPlugin.yaml"].includes(p) &&
          !/^dist\/(components|functions|function)\//.test(p),
      ),
    ).to.deep.equal([]);
    expect(componentFiles.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).to.deep.equal([]);
    for (const file of [...exportTargets(root), root.main ?? "", "dist/components/provider/schema.json"]) {
      expect(componentFiles, file).to.include(file);
    }
    expect(componentFiles.filter((p) => p.startsWith("dist/function/"))).to.deep.equal(
      Object.keys(readPrebuiltBundle().files).map((name) => `dist/function/${name}`),
    );
    expect(root.scripts.prepack).to.equal("npm run build:component");

    const sfstore = await manifestOf(path.join(PROJECT_ROOT, "packages", "client"));
    const clientFiles = files("sfstore");
    expect(
      clientFiles.filter((p) => !/^dist\/types\/(client|functions\/api)\/.+\.d\.ts$/.test(p)),
    ).to.deep.equal(["bin/sfstore.js", "dist/cli.js", "dist/index.js", "package.json"]);
    for (const file of exportTargets(sfstore)) expect(clientFiles, file).to.include(file);
    expect(sfstore.bin).to.deep.equal({ sfstore: "bin/sfstore.js" });
    expect(sfstore.scripts.prepack).to.equal("npm run build");

    const web = await manifestOf(path.join(PROJECT_ROOT, "packages", "browser"));
    const browserFiles = files("signed-file-store-browser");
    expect(
      browserFiles.filter((p) => !/^dist\/types\/(browser|functions\/api)\/.+\.d\.ts$/.test(p)),
    ).to.deep.equal(["dist/signed-file-store-uppy.mjs", "dist/signed-file-store.mjs", "package.json"]);
    expect(Object.keys(web.exports)).to.deep.equal([".", "./uppy", "./package.json"]);
    for (const file of exportTargets(web)) expect(browserFiles, file).to.include(file);
    expect(web.scripts.prepack).to.equal("npm run build");

    for (const manifest of [root, sfstore, web])
      expect(manifest.version, manifest.name).to.equal(root.version);
  });

  it("signed-file-store-browser installs alone, under 200 KB, and both modules load", async () => {
    const disk = await diskUsage(browser);
    console.log(
      `      signed-file-store-browser: ${disk} bytes on disk, ${await apparentSize(browser)} bytes of files`,
    );
    expect(await installedPackages(browser)).to.deep.equal(["node_modules/signed-file-store-browser"]);
    expect(disk).to.be.at.most(200 * KB);
    const web = await manifestOf(path.join(browser, "node_modules", "signed-file-store-browser"));
    expect(web.dependencies).to.equal(undefined);
    expect(web.peerDependencies).to.deep.equal({ "@uppy/aws-s3": "^6.3.1", "@uppy/core": "^6.3.1" });
    expect(web.peerDependenciesMeta).to.deep.equal({
      "@uppy/aws-s3": { optional: true },
      "@uppy/core": { optional: true },
    });

    await writeFile(path.join(browser, "browser.mjs"), BROWSER_SOURCE);
    const result = await exec(process.execPath, ["browser.mjs"], browser);
    expect(result.stderr).to.equal("");
    expect(JSON.parse(result.stdout)).to.deep.equal({
      store: "function",
      key: CONSUMER_OUTPUT.browser.key,
      uppy: CONSUMER_OUTPUT.uppy.map((line) => line.split(":")[0]),
    });
  });

  it("sfstore installs without Pulumi, gRPC or protobufjs, under 10 MB, and its bin and library run", async () => {
    const disk = await diskUsage(client);
    console.log(`      sfstore: ${disk} bytes on disk, ${await apparentSize(client)} bytes of files`);
    const installed = await installedPackages(client);
    expect(installed).to.deep.equal([
      "node_modules/@smithy/types",
      "node_modules/sfstore",
      "node_modules/tslib",
    ]);
    expect(installed.filter((p) => /@pulumi|@grpc|protobufjs/.test(p))).to.deep.equal([]);
    expect(disk).to.be.at.most(10 * MB);

    const help = await exec(path.join(client, "node_modules", ".bin", "sfstore"), ["--help"], client);
    expect(help).to.deep.equal({ code: 0, stdout: HELP, stderr: "" });
    expect(HELP.split("\n")[0]).to.equal(
      "sfstore: put, get, list, copy, move and remove files in a signed-file-store",
    );
    const version = await exec(path.join(client, "node_modules", ".bin", "sfstore"), ["--version"], client);
    expect(version).to.deep.equal({ code: 0, stdout: `sfstore ${root.version}\n`, stderr: "" });

    await writeFile(path.join(client, "client.cjs"), CLIENT_SOURCE);
    const result = await exec(process.execPath, ["client.cjs"], client);
    expect(result).to.deep.equal({
      code: 0,
      stdout: `${JSON.stringify({ refused: "InvalidKeyError", region: "eu-west-1" })}\n`,
      stderr: "",
    });
  });

  it("signed-file-store takes @pulumi/pulumi and @pulumi/aws as peers: one copy of each, none of the build's tools", async () => {
    const disk = await diskUsage(component);
    console.log(
      `      signed-file-store with its peers, sfstore and the browser package: ${disk} bytes on disk`,
    );
    expect(root.peerDependencies).to.deep.equal({
      "@pulumi/aws": root.peerDependencies?.["@pulumi/aws"],
      "@pulumi/pulumi": root.peerDependencies?.["@pulumi/pulumi"],
    });
    expect(Object.keys(root.dependencies ?? {})).to.deep.equal(["@pulumi/tls"]);
    const installed = await installedPackages(component);
    expect(installed.filter((p) => p.endsWith("node_modules/@pulumi/pulumi"))).to.deep.equal([
      "node_modules/@pulumi/pulumi",
    ]);
    expect(installed.filter((p) => p.endsWith("node_modules/@pulumi/aws"))).to.deep.equal([
      "node_modules/@pulumi/aws",
    ]);
    // What only building the function, its schema or TypeScript needs is not installed.
    const tools = ["esbuild", "typescript", "ts-node", "tsx", "jose", "@aws-sdk/client-s3"];
    expect(installed.filter((p) => tools.some((tool) => p.endsWith(`node_modules/${tool}`)))).to.deep.equal(
      [],
    );
  });

  it("each package's declarations import only packages a consumer has: its dependencies and peers", async () => {
    const modules = path.join(component, "node_modules");
    expect(await declarationImports(path.join(modules, "signed-file-store"))).to.deep.equal([
      "@pulumi/aws",
      "@pulumi/pulumi",
      "@pulumi/tls",
    ]);
    expect(await declarationImports(path.join(modules, "sfstore"))).to.deep.equal(["@smithy/types"]);
    expect(await declarationImports(path.join(modules, "signed-file-store-browser"))).to.deep.equal([
      "@uppy/aws-s3",
      "@uppy/core",
    ]);
    // The browser package's optional peers, which a page without Uppy leaves out.
    const web = await manifestOf(path.join(modules, "signed-file-store-browser"));
    expect(Object.keys(web.peerDependenciesMeta ?? {})).to.deep.equal(["@uppy/aws-s3", "@uppy/core"]);
  });

  it("type-checks a consumer of every entry of every package in the fresh project", async () => {
    await writeFile(path.join(component, "consumer.mts"), CONSUMER_SOURCE);
    await writeFile(path.join(component, "tsconfig.json"), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    const result = await exec(process.execPath, [TSC, "-p", "tsconfig.json"], component);
    expect(result.stdout).to.equal("");
    expect(result.code).to.equal(0);
  });

  it("runs the consumer: the component under mocks deploys the packed function bundle", async () => {
    const result = await exec(process.execPath, [path.join("out", "consumer.mjs")], component);
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      ...CONSUMER_OUTPUT,
      component: { ...CONSUMER_OUTPUT.component, sourceCodeHash: readPrebuiltBundle().sha256 },
    });
  });

  describe("the multi-language plugin (PulumiPlugin.yaml, package.json's main)", () => {
    it("main is compiled JavaScript, which Pulumi's plugin runner loads without ts-node", () => {
      expect(root.main).to.equal("dist/components/provider/plugin.js");
    });

    it("runs from the checkout as Pulumi runs it and serves the component's schema over gRPC", async () => {
      const runPlugin = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");
      expectComponentSchema(await servedSchema(runPlugin, PROJECT_ROOT, PROJECT_ROOT), root.version);
    });

    it("runs from the package installed with production dependencies only, and serves the same schema", async () => {
      const runPlugin = path.join(component, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");
      const installed = path.join(component, "node_modules", "signed-file-store");
      expectComponentSchema(await servedSchema(runPlugin, installed, installed), root.version);
    });

    it("constructs the component from there, with the packed function bundle, as its Construct answers", async () => {
      await writeFile(path.join(component, "construct.cjs"), PLUGIN_CONSTRUCT_SOURCE);
      const result = await exec(process.execPath, ["construct.cjs"], component);
      expect(result.stderr).to.equal("");
      expect(result.code).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({
        urn: "urn:pulumi:test::consumer::signed-file-store:index:SignedFileStore::files",
        apiUrl: CONSUMER_OUTPUT.component.apiUrl,
        outputs: Object.keys(OUTPUTS).sort(),
        components: 2,
        functions: 1,
        buckets: 1,
        sourceCodeHash: readPrebuiltBundle().sha256,
      });
    });
  });
});
