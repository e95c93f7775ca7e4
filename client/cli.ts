import * as path from "node:path";
import { parseArgs } from "node:util";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SingleBar } from "cli-progress";
import { type ApiAuth, regionFromFunctionUrl } from "./auth";
import { envOptionReader } from "./env-options";
import { DEFAULTS, SignedFileStoreClient } from "./index";
import { DEFAULT_RETRY } from "./retry";
import { defaultStateDir, type Progress } from "./upload";

const HELP = `sfs: put, get and remove files in a signed-file-store

  sfs put FILE KEY     upload FILE as KEY (in parallel parts above --multipart-threshold; resumable)
  sfs get KEY [FILE]   download KEY to FILE (default: the key's last segment), checking its SHA-256
  sfs rm KEY           delete KEY

Options (each also read from SFS_<NAME>, e.g. SFS_API_URL):
  --api-url URL              the API (function URL); default http://127.0.0.1:3000 (the local stack)
  --token JWT                send a bearer token (auth mode jwt)
  --iam                      sign with AWS SigV4 (auth mode iam); credentials from the AWS default chain
  --region REGION            for --iam when the URL does not name it (default AWS_REGION)
  --content-type TYPE        put: the object's Content-Type (default from the file extension)
  --filename NAME            put: file name downloads are saved as (default FILE's name)
  --inline                   put: let browsers show the file rather than save it
  --if-absent                put: fail with 412 rather than replace an existing object
  --multipart-threshold N    put: bytes from which parts are used (default ${DEFAULTS.multipartThreshold})
  --part-size N              put: bytes per part (default: what the API offers)
  --concurrency N            put: parts in flight (default ${DEFAULTS.concurrency})
  --retries N                tries per request on network errors and 5xx (default ${DEFAULT_RETRY.attempts})
  --state-dir DIR            put: where interrupted uploads are remembered (default ${defaultStateDir()})
  --progress / --no-progress show a progress bar (default: when stderr is a terminal)
  --json                     print the result as one JSON line
`;

const OPTIONS = {
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
  progress: { type: "boolean" },
  "no-progress": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

const CONTENT_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".json": "application/json",
  ".txt": "text/plain",
  ".csv": "text/csv",
  ".html": "text/html",
};

class UsageError extends Error {}

/** RFC 6266: an ASCII fallback plus the exact name in RFC 8187 encoding. */
export function contentDisposition(filename: string, inline: boolean): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function byteCount(
  name: string,
  value: string | undefined,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  const m = /^(\d+)([kmg]i?b?)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--${name} must be a number of bytes (like 8388608 or 8MiB), got "${value}"`);
  const unit = (m[2] ?? "").toLowerCase()[0];
  return Number(m[1]) * (unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1);
}

function progressBar(enabled: boolean) {
  if (!enabled) return { update: (_p: Progress) => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: "{phase} [{bar}] {percentage}% | {done} / {size} | {speed} | ETA {eta_formatted}",
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 1000,
    etaBuffer: 50,
    hideCursor: true,
  });
  const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
  let phase = "";
  let started = Date.now();
  return {
    update(p: Progress) {
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        started = Date.now();
        bar.start(Math.max(p.total, 1), 0, { phase, done: mib(0), size: mib(p.total), speed: "" });
      }
      const seconds = (Date.now() - started) / 1000;
      bar.update(p.bytes, {
        done: mib(p.bytes),
        speed: seconds > 0 ? `${mib(p.bytes / seconds)}/s` : "",
      });
    },
    stop: () => phase && bar.stop(),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const { opt, flag } = envOptionReader<keyof typeof OPTIONS>(values);
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const apiUrl = opt("api-url") ?? "http://127.0.0.1:3000";
  let auth: ApiAuth = { kind: "none" };
  const token = opt("token");
  if (flag("iam")) {
    const region = opt("region") ?? regionFromFunctionUrl(apiUrl) ?? process.env.AWS_REGION;
    if (!region)
      throw new UsageError("--iam needs --region (or AWS_REGION) when the API URL does not name one");
    auth = { kind: "iam", credentials: defaultProvider(), region };
  } else if (token) {
    auth = { kind: "bearer", token };
  }
  const attempts = Number(opt("retries") ?? DEFAULT_RETRY.attempts);
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new UsageError("--retries must be a whole number from 1");
  const client = new SignedFileStoreClient({ apiUrl, auth, retry: { ...DEFAULT_RETRY, attempts } });
  const showProgress = flag("no-progress") ? false : flag("progress") || process.stderr.isTTY === true;
  const bar = progressBar(showProgress);
  const print = (summary: Record<string, unknown>, text: string) => {
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(values.json ? `${JSON.stringify({ ...summary, maxRssBytes })}\n` : `${text}\n`);
  };
  try {
    switch (command) {
      case "put": {
        const [file, key] = args;
        if (!file || !key || args.length > 2) throw new UsageError("usage: sfs put FILE KEY");
        const concurrency = Number(opt("concurrency") ?? DEFAULTS.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
          throw new UsageError("--concurrency must be a whole number from 1 to 64");
        }
        const partSize = byteCount("part-size", opt("part-size"), undefined);
        const result = await client.put(file, key, {
          contentType:
            opt("content-type") ??
            CONTENT_TYPES[path.extname(file).toLowerCase()] ??
            "application/octet-stream",
          contentDisposition: contentDisposition(opt("filename") ?? path.basename(file), flag("inline")),
          createOnly: flag("if-absent"),
          multipartThreshold:
            byteCount("multipart-threshold", opt("multipart-threshold"), DEFAULTS.multipartThreshold) ?? 0,
          ...(partSize === undefined ? {} : { partSize }),
          concurrency,
          stateDir: opt("state-dir") ?? defaultStateDir(),
          onProgress: (p) => bar.update(p),
        });
        bar.stop();
        print(
          { command, ...result },
          `uploaded ${file} to ${key}: ${result.size} bytes in ${result.parts} part(s)` +
            `${result.resumedParts ? `, ${result.resumedParts} resumed` : ""}, sha256 ${result.sha256}`,
        );
        return 0;
      }
      case "get": {
        const [key, file] = args;
        if (!key || args.length > 2) throw new UsageError("usage: sfs get KEY [FILE]");
        const dest = file ?? path.basename(key);
        let total = 0;
        const result = await client.get(key, dest, (bytes, size) => {
          total = size;
          bar.update({ phase: "download", bytes, total: Math.max(total, bytes) });
        });
        bar.stop();
        print(
          { command, file: dest, ...result },
          `downloaded ${key} to ${dest}: ${result.size} bytes, sha256 ${result.sha256}${result.verified ? " (matches the upload)" : ""}`,
        );
        return 0;
      }
      case "rm": {
        const [key] = args;
        if (!key || args.length > 1) throw new UsageError("usage: sfs rm KEY");
        await client.remove(key);
        print({ command, key }, `removed ${key}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"; use put, get or rm`);
    }
  } finally {
    bar.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(
      `sfs: ${error instanceof Error ? error.message : String(error)}\n${usage ? `\n${HELP}` : ""}`,
    );
    process.exitCode = usage ? 2 : 1;
  },
);
