import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";

const run = promisify(execFile);
export const CLI = join(__dirname, "..", "..", "bin", "sfs.js");
export const MiB = 1024 * 1024;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the sfs CLI as a user would, in its own process. npm's variables are left out, so that a
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
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
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

/** A file of pseudo-random bytes written in 4 MiB chunks, so the test itself stays small in memory. */
export async function makeFile(path: string, bytes: number): Promise<void> {
  let seed = bytes;
  await pipeline(
    (async function* () {
      for (let left = bytes; left > 0; left -= 4 * MiB) {
        const length = Math.min(4 * MiB, left);
        const chunk = Buffer.allocUnsafe(Math.ceil(length / 4) * 4);
        for (let i = 0; i < chunk.length; i += 4) {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          chunk.writeUInt32LE(seed, i);
        }
        yield chunk.subarray(0, length);
      }
    })(),
    createWriteStream(path),
  );
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
