import * as path from "node:path";
import { S3_LIMITS } from "../../functions/api/upload-rules";
import { checkKey } from "../keys";

export const OPTIONS = {
  "api-url": { type: "string" },
  token: { type: "string" },
  iam: { type: "boolean" },
  region: { type: "string" },
  "content-type": { type: "string" },
  filename: { type: "string" },
  inline: { type: "boolean" },
  "if-absent": { type: "boolean" },
  "multipart-threshold": { type: "string" },
  "part-size": { type: "string" },
  concurrency: { type: "string" },
  retries: { type: "string" },
  "state-dir": { type: "string" },
  expires: { type: "string" },
  download: { type: "string" },
  version: { type: "string" },
  purge: { type: "boolean" },
  sub: { type: "string" },
  scope: { type: "string" },
  "issuer-url": { type: "string" },
  recursive: { type: "boolean", short: "r" },
  long: { type: "boolean", short: "l" },
  yes: { type: "boolean", short: "y" },
  progress: { type: "boolean" },
  "no-progress": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** A bad command line: exit 2, with the one line that says what is wrong. */
export class UsageError extends Error {}

export function byteCount(name: string, value: string | undefined, fallback: number): number;
export function byteCount(name: string, value: string | undefined, fallback?: number): number | undefined;
export function byteCount(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const m = /^(\d+)([kmg]i?b?)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--${name} must be a number of bytes (like 8388608 or 8MiB), got "${value}"`);
  const unit = (m[2] ?? "").toLowerCase()[0];
  return Number(m[1]) * (unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1);
}

/** S3 refuses parts under 5 MiB (but the last) or over 5 GiB; better said now than after the upload. */
export function partSizeArg(value: string | undefined): number | undefined {
  const bytes = byteCount("part-size", value);
  if (bytes !== undefined && (bytes < S3_LIMITS.minPartBytes || bytes > S3_LIMITS.maxPartBytes)) {
    throw new UsageError(
      `--part-size must be from 5MiB (${S3_LIMITS.minPartBytes}) to 5GiB (${S3_LIMITS.maxPartBytes}) bytes, S3's limits for a part; got "${value}"`,
    );
  }
  return bytes;
}

export function wholeNumberArg(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

const SECONDS_PER: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `--expires`: whole seconds, or one whole number with one unit (90s, 15m, 12h, 7d); nothing looser. */
export function durationArg(value: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(value);
  const seconds = m ? Number(m[1]) * (SECONDS_PER[m[2] || "s"] ?? 1) : 0;
  if (seconds < 1) {
    throw new UsageError(
      `--expires must be a positive number of seconds, or one like 90s, 15m, 12h, 1d or 7d; got "${value}"`,
    );
  }
  return seconds;
}

export function apiUrlArg(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    throw new UsageError(
      `--api-url (or SFS_API_URL) must be the API's http(s) URL, like http://127.0.0.1:3000; got "${value}"`,
    );
  }
  return value;
}

/** A key on the command line that the API would refuse, or that a URL parser would change. */
export function keyArg(key: string): string {
  try {
    checkKey(key);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return key;
}

/**
 * A listing's prefix on the command line: "" or "/" for the root, otherwise a key, with or without
 * its trailing "/", checked like one (so `ls a/../b` is refused rather than listing `b/`).
 */
export function prefixArg(text: string | undefined): string {
  if (text === undefined || text === "" || text === "/") return "";
  return `${keyArg(text.endsWith("/") ? text.slice(0, -1) : text)}/`;
}

/** `--version V`: the version ID as `sfstore versions` prints it. */
export function versionArg(value: string | undefined): string | undefined {
  if (value === "") throw new UsageError("--version must be a version ID (sfstore versions KEY lists them)");
  return value;
}

/**
 * The directory relative paths are read from. `npm run sfs` starts the script in the package's
 * root and keeps the user's directory in INIT_CWD; INIT_CWD set for any other script (a test run,
 * say) is inherited and says nothing about where this command was typed.
 */
export function startDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_lifecycle_event === "sfs" && env.INIT_CWD ? env.INIT_CWD : process.cwd();
}

export function pathArg(file: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(startDirectory(env), file);
}
