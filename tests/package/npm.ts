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

/** `name@version` as this repository's lockfile installed it, so npm's cache holds that very one. */
export async function pinned(name: string): Promise<string> {
  const manifest = await readFile(path.join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8");
  return `${name}@${(JSON.parse(manifest) as { version: string }).version}`;
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

/**
 * `npm install SPEC...` as a user runs it, from npm's cache: offline when the cache holds every
 * package and every package's metadata (a machine that has run `npm install` here). A machine that
 * ran only `npm ci` has the packages but not the metadata a range is resolved against, and there
 * the registry fills that gap.
 */
export async function npmInstall(dir: string, specs: string[], extra: string[] = []): Promise<void> {
  const install = ["install", "--no-audit", "--no-fund", ...extra, ...specs];
  const offline = await exec(NPM, [...install, "--offline"], dir);
  if (offline.code !== 0) await ok(NPM, [...install, "--prefer-offline"], dir);
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
