import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { writeClientModules } from "../../scripts/build-client";

const run = promisify(execFile);
const PACKAGE = join(__dirname, "..", "..", "packages", "client");
let bundled: Promise<string> | undefined;

/**
 * The CLI as the sfstore package ships it: the sources bundled into one file (scripts/build-client.ts)
 * beside a copy of the package's manifest, built once per test process. It starts in about a third
 * of the time the sources take through tsx, and over a hundred tests start it.
 */
export function cliPath(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "sfstore-cli-"));
    copyFileSync(join(PACKAGE, "package.json"), join(dir, "package.json"));
    const [, cli] = await writeClientModules(join(dir, "dist"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return cli ?? join(dir, "dist", "cli.js");
  })();
  return bundled;
}
export const MiB = 1024 * 1024;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the sfstore CLI as a user would, in its own process. npm's variables are left out, so that a
 * test run under `npm test` does not look like `npm run sfs`; a test that needs them passes them.
 */
export async function sfs(
  args: string[],
  env: Record<string, string> = {},
  options: { readonly cwd?: string } = {},
): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== "INIT_CWD" && !name.startsWith("npm_")),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [await cliPath(), ...args], {
      env: { ...inherited, ...env },
      maxBuffer: 16 * MiB,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The options every test run passes: this API, a private state directory, JSON out, no bar. */
export function cliOptions(apiUrl: string, dir: string): string[] {
  return ["--api-url", apiUrl, "--state-dir", join(dir, "state"), "--json", "--no-progress"];
}

/**
 * A file of pseudo-random bytes written in 4 MiB chunks, so the test itself stays small in memory;
 * resolves with the hex SHA-256 of what it wrote, hashed on the way, so a test needs no pass of
 * its own to know it.
 */
export async function makeFile(path: string, bytes: number): Promise<string> {
  let seed = bytes;
  const hash = createHash("sha256");
  await pipeline(
    (async function* () {
      for (let left = bytes; left > 0; left -= 4 * MiB) {
        const length = Math.min(4 * MiB, left);
        const words = new Uint32Array(Math.ceil(length / 4));
        for (let i = 0; i < words.length; i++) {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          words[i] = seed;
        }
        const chunk = Buffer.from(words.buffer, 0, length);
        hash.update(chunk);
        yield chunk;
      }
    })(),
    createWriteStream(path),
  );
  return hash.digest("hex");
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Stores small objects through the API (its JSON answer, then the presigned PUT), `parallel` at a
 * time: thousands of keys in seconds, without starting the CLI once per key.
 */
export async function storeObjects(
  apiUrl: string,
  objects: ReadonlyArray<readonly [key: string, body: string | Buffer]>,
  options: { readonly parallel?: number; readonly token?: string } = {},
): Promise<void> {
  const parallel = options.parallel ?? 100;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  for (let i = 0; i < objects.length; i += parallel) {
    await Promise.all(
      objects.slice(i, i + parallel).map(async ([key, body]) => {
        const path = key.split("/").map(encodeURIComponent).join("/");
        const step = await fetch(`${apiUrl}/${path}`, {
          method: "PUT",
          headers: { accept: "application/json", ...auth },
        });
        if (step.status !== 200) throw new Error(`PUT ${key}: ${step.status} ${await step.text()}`);
        const { url, headers } = (await step.json()) as { url: string; headers: Record<string, string> };
        const res = await fetch(url, { method: "PUT", headers, body });
        if (res.status !== 200) throw new Error(`storing ${key}: ${res.status} ${await res.text()}`);
      }),
    );
  }
}

/** sha256 of a string or buffer, for comparing with what `sfstore get` reports. */
export function sha256Of(bytes: string | Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * What `sfstore get` says of its check for the object now at `key`, from the API's own answer: the
 * checksum and "(verified)" when the store reports one, why not otherwise.
 */
export async function expectedCheck(apiUrl: string, key: string): Promise<string> {
  const path = key.split("/").map(encodeURIComponent).join("/");
  const res = await fetch(`${apiUrl}/${path}`, { headers: { accept: "application/json" } });
  const { object } = (await res.json()) as { object: { checksum?: { algorithm: string; value: string } } };
  return object.checksum
    ? `${object.checksum.algorithm.toLowerCase()} ${object.checksum.value} (verified)`
    : "not verified: the store reported no checksum for this object";
}
