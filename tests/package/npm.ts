import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../components/bundle/function-bundle";

const run = promisify(execFile);
export const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * npm's own variables are left out: under `npm test` they would make a nested npm act on this
 * repository's configuration rather than the fresh project's.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("npm_") && name !== "INIT_CWD"),
  );
}

export async function exec(file: string, args: string[], cwd: string): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export async function ok(file: string, args: string[], cwd: string): Promise<string> {
  const result = await exec(file, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** An empty project, as `npm init -y` makes one. */
export async function emptyProject(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: path.basename(dir), version: "1.0.0", private: true, type: "module" })}\n`,
  );
  return dir;
}

/** One package a consumer installs: a tarball made here, or a package of this repository's lockfile. */
export type Install =
  | {
      readonly tarball: string;
      readonly name: string;
      readonly integrity: string;
      readonly workspace: string;
    }
  | { readonly registry: string };

interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [field: string]: unknown;
}

/** Where Node finds `name` from the package at `from`: its own node_modules, then each parent's. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let at = from; ; ) {
    const candidate = `${at ? `${at}/` : ""}node_modules/${name}`;
    if (packages[candidate] && !packages[candidate].link) return candidate;
    if (at === "") return undefined;
    const i = at.lastIndexOf("node_modules/");
    at = i <= 0 ? "" : at.slice(0, i - 1);
  }
}

const nameAt = (lockPath: string) =>
  lockPath.slice(lockPath.lastIndexOf("node_modules/") + "node_modules/".length);

/**
 * Installs `installs` into the project at `dir` as `npm install` does, from npm's cache alone, so
 * no test reaches the registry. A fresh machine's cache (one `npm ci`) holds every package of this
 * repository's lockfile but none of the registry's metadata that `npm install NAME` resolves a
 * version range against, so the project gets a lockfile first: the tarballs' own dependencies,
 * followed through this repository's lockfile as Node resolves them (production dependencies and
 * required peers; devDependencies never), at the versions and integrities `npm ci` installed.
 * What lands in node_modules is what the tarballs' manifests ask for, and nothing a test adds.
 */
export async function npmInstall(
  dir: string,
  installs: readonly Install[],
  extra: string[] = [],
): Promise<void> {
  const rootLock = JSON.parse(await readFile(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const source = rootLock.packages;
  const registry = (await ok(NPM, ["config", "get", "registry"], PROJECT_ROOT)).trim().replace(/\/?$/, "/");
  const project = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const direct: Record<string, string> = {};
  const packages: Record<string, LockEntry> = {};
  /** A lockfile path of this repository, as the same package's path in the consumer's tree. */
  const targetOf = new Map<string, string>();
  const queue: string[] = [];
  const need = (from: string, name: string, required: boolean) => {
    const found = locate(source, from, name);
    if (!found) {
      if (required)
        throw new Error(`${name}, needed by ${from || "the project"}, is not in package-lock.json`);
      return;
    }
    if (!targetOf.has(found)) {
      targetOf.set(found, found);
      queue.push(found);
    }
  };
  for (const install of installs) {
    if ("registry" in install) {
      const at = `node_modules/${install.registry}`;
      const entry = source[at];
      if (!entry?.version) throw new Error(`${install.registry} is not in package-lock.json`);
      direct[install.registry] = entry.version;
      need("", install.registry, true);
      continue;
    }
    const relative = path.relative(dir, install.tarball);
    direct[install.name] = `file:${relative}`;
    const manifest = source[install.workspace] ?? {};
    const target = `node_modules/${install.name}`;
    targetOf.set(install.workspace, target);
    packages[target] = {
      ...copyable(manifest),
      resolved: `file:${relative}`,
      integrity: install.integrity,
    };
    queue.push(install.workspace);
  }
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const entry = source[next] ?? {};
    for (const name of Object.keys(entry.dependencies ?? {})) need(next, name, true);
    for (const name of Object.keys(entry.optionalDependencies ?? {})) need(next, name, false);
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      need(next, name, !entry.peerDependenciesMeta?.[name]?.optional && !(name in direct));
    }
  }
  for (const [from, to] of targetOf) {
    if (packages[to]) continue;
    const entry = source[from] ?? {};
    const name = nameAt(from);
    const base = name.split("/").pop() ?? name;
    packages[to] = {
      ...copyable(entry),
      resolved: entry.resolved ?? `${registry}${name}/-/${base}-${entry.version}.tgz`,
    };
  }
  project.dependencies = direct;
  await writeFile(path.join(dir, "package.json"), `${JSON.stringify(project, null, 2)}\n`);
  const lock = {
    name: project.name,
    version: project.version,
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: project.name, version: project.version, dependencies: direct }, ...packages },
  };
  await writeFile(path.join(dir, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  await ok(NPM, ["install", "--offline", "--no-audit", "--no-fund", ...extra], dir);
}

/** What a lockfile entry says of the package itself, without its place in this repository's tree. */
function copyable(entry: LockEntry): LockEntry {
  const fields = [
    "version",
    "license",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bin",
    "engines",
    "os",
    "cpu",
    "hasInstallScript",
    "resolved",
    "integrity",
  ];
  return Object.fromEntries(Object.entries(entry).filter(([field]) => fields.includes(field)));
}

/** Every package npm installed in `dir`, by its path under the project (`node_modules/…`). */
export async function installedPackages(dir: string): Promise<string[]> {
  const lock = JSON.parse(await readFile(path.join(dir, "node_modules", ".package-lock.json"), "utf8")) as {
    packages: Record<string, unknown>;
  };
  return Object.keys(lock.packages).sort();
}

/** What `du -sk node_modules` says, in bytes: the disk space the install takes. */
export async function diskUsage(dir: string): Promise<number> {
  const out = await ok("du", ["-sk", "node_modules"], dir);
  return Number(out.split("\t")[0]) * 1024;
}

/** The same in bytes of file contents (`du -sb`), which no file system's block size rounds up. */
export async function apparentSize(dir: string): Promise<number> {
  const out = await ok("du", ["-sb", "node_modules"], dir);
  return Number(out.split("\t")[0]);
}

/**
 * Every package an installed package's declaration files import (`from "…"`, `import("…")`), by
 * name, Node's built-ins left out: what a type-checking consumer must have installed beside it.
 */
export async function declarationImports(pkgDir: string): Promise<string[]> {
  const names = new Set<string>();
  const files = (await readdir(pkgDir, { recursive: true })).filter((f) => f.endsWith(".d.ts"));
  for (const file of files) {
    const text = await readFile(path.join(pkgDir, file), "utf8");
    for (const [, spec = ""] of text.matchAll(/(?:from |import\()"([^"]+)"/g)) {
      if (spec.startsWith(".") || spec.startsWith("node:")) continue;
      const parts = spec.split("/");
      names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec));
    }
  }
  return [...names].sort();
}
