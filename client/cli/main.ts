import { readFileSync } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { type ApiAuth, regionFromFunctionUrl } from "../auth";
import { SignedFileStoreClient } from "../index";
import { DEFAULT_RETRY } from "../retry";
import { apiUrlArg, type OptionName, UsageError, wholeNumberArg } from "./args";
import type { Command } from "./commands/context";
import { cp, ls, mv, restore, versions } from "./commands/files";
import { share, stat } from "./commands/inspect";
import { rm } from "./commands/remove";
import { token } from "./commands/token";
import { get, put } from "./commands/transfer";
import { envOptionReader } from "./env-options";
import { hintFor } from "./error-hints";
import { HELP } from "./help";
import { progressBar } from "./output";
import { parseCommandLine } from "./parse";

const COMMANDS: Readonly<Record<string, Command>> = {
  put,
  get,
  share,
  stat,
  ls,
  cp,
  mv,
  rm,
  versions,
  restore,
  token,
};

/**
 * Options that choose what a command acts on, or skip its question, are taken from the command line
 * only: an SFS_YES or SFS_RECURSIVE left in the environment must never turn an `rm` into an
 * `rm -r --yes`, nor an SFS_VERSION make `get` read an old version.
 */
const COMMAND_LINE_ONLY: ReadonlySet<OptionName> = new Set(["recursive", "long", "yes", "version", "purge"]);

/** Reads one answer from the terminal; end of input or Ctrl-C count as no. */
function confirm(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    rl.on("SIGINT", () => rl.close());
    rl.on("close", () => {
      if (!answered) {
        process.stderr.write("\n");
        resolve(false);
      }
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

// `sfstore ls -r | head` closes the pipe early: that ends the listing, it is not a failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

/** Whether results and errors go out as JSON; known before parsing succeeds, for its own errors. */
let json = process.argv.includes("--json") || envOptionReader<OptionName>({}).flag("json");

async function main(argv: string[]): Promise<number> {
  // Alone, --version asks for sfstore's own; with a command it names a version of a key.
  if (argv.length === 1 && argv[0] === "--version") {
    process.stdout.write(`sfstore ${packageVersion()}\n`);
    return 0;
  }
  const { values, positionals } = parseCommandLine(argv);
  const fromEnv = envOptionReader<OptionName>(values);
  const opt = (name: OptionName): string | undefined => {
    if (!COMMAND_LINE_ONLY.has(name)) return fromEnv.opt(name);
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const flag = (name: OptionName) =>
    COMMAND_LINE_ONLY.has(name) ? values[name] === true : fromEnv.flag(name);
  json = flag("json");
  const [name, ...args] = positionals;
  if (values.help || !name) {
    process.stdout.write(HELP);
    return name || values.help ? 0 : 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    throw new UsageError(
      `unknown command "${name}"; use put, get, share, stat, ls, cp, mv, rm, versions, restore or token`,
    );
  }
  const apiUrl = apiUrlArg(opt("api-url") ?? "http://127.0.0.1:3000");
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
  const attempts = wholeNumberArg("retries", opt("retries") ?? String(DEFAULT_RETRY.attempts), 1, 100);
  const notice = (message: string) => process.stderr.write(`sfstore: ${message}\n`);
  // Retries are said as they happen, so a slow failure is never a silent one.
  const onRetry = (error: unknown, attempt: number) =>
    notice(
      `${error instanceof Error ? error.message : String(error)}; trying again (${attempt + 1} of ${attempts})`,
    );
  const client = new SignedFileStoreClient({ apiUrl, auth, retry: { ...DEFAULT_RETRY, attempts, onRetry } });
  const bar = progressBar(flag("no-progress") ? false : flag("progress") || process.stderr.isTTY === true);
  try {
    const code = await command({
      client,
      args,
      opt,
      flag,
      bar,
      result: (value, text) => process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`),
      json,
      lines: (lines) => {
        if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
      },
      interactive: process.stdin.isTTY === true,
      confirm,
      notice,
    });
    return code ?? 0;
  } finally {
    bar.stop();
  }
}

/**
 * The sfstore package's version: its package.json sits one level up from the installed bundle
 * (dist/cli.js), and at packages/client/ in the repository, two levels up from client/cli/.
 */
function packageVersion(): string {
  for (const up of ["..", "../../packages/client"]) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(__dirname, up, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === "sfstore" && manifest.version) return manifest.version;
    } catch {}
  }
  return "(unknown version)";
}

/** A bad command line is said in one line and a pointer to the help, never the whole help after it. */
function fail(error: unknown): number {
  const usage = error instanceof UsageError;
  const message = error instanceof Error ? error.message : String(error);
  const hint = usage ? undefined : hintFor(error);
  process.stderr.write(
    `sfstore: ${message}\n${hint ? `sfstore: likely cause: ${hint}\n` : ""}${usage ? "sfstore: see sfstore --help\n" : ""}`,
  );
  if (json) {
    const { code, status } = error as { code?: unknown; status?: unknown };
    const detail = {
      code: usage ? "UsageError" : typeof code === "string" ? code : "Error",
      ...(typeof status === "number" ? { status } : {}),
      message,
      ...(hint ? { hint } : {}),
    };
    process.stdout.write(`${JSON.stringify({ error: detail })}\n`);
  }
  return usage ? 2 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = fail(error);
  },
);
