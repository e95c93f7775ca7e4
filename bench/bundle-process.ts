import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { FunctionBundle } from "../components/bundle/function-bundle";
import type { FunctionUrlEvent, FunctionUrlResult } from "../functions/http/function-url";

/**
 * Runs the built function bundle in a fresh `node` process, as Lambda does on a cold start: the
 * bundle's files are written to a directory, a small CommonJS runner requires `index.js` and hands
 * it events. The runner adds nothing to the timing but reading the events: it is CommonJS, as the
 * entry is, so it starts no ES module loader of its own. With `trace`, it records every file of the
 * bundle the process has loaded, after the require and after each event, so a test can tell exactly
 * which files were read: CommonJS files from `require.cache`, ES modules (the lazily imported
 * packages) through a module loader hook, registered only then.
 */
export const RUNNER = "run-events.cjs";
/** Written to stderr once the last event is answered (the moment a cold start is over), with the CPU time used so far. */
export const ANSWERED = "answered";
/** The statement that writes the ANSWERED line: user and system CPU microseconds, all threads. */
export const REPORT_ANSWER = `{ const u = process.cpuUsage(); process.stderr.write("${ANSWERED} " + (u.user + u.system) + "\\n"); }`;
const TRACE_HOOKS = "trace-hooks.mjs";

const RUNNER_SOURCE = `const { readFileSync, writeFileSync } = require("node:fs");
const { pathToFileURL } = require("node:url");
const [eventsFile, reportFile, traceFile] = process.argv.slice(2);
if (traceFile) require("node:module").register("./${TRACE_HOOKS}", pathToFileURL(__filename), { data: { file: traceFile } });
const loaded = () =>
  traceFile
    ? [...Object.keys(require.cache).map((f) => pathToFileURL(f).href), ...readFileSync(traceFile, "utf8").split("\\n").filter(Boolean)]
    : [];
const { handler } = require("./index.js");
(async () => {
  const loads = [loaded()];
  const results = [];
  for (const event of JSON.parse(readFileSync(eventsFile, "utf8"))) {
    results.push(await handler(event));
    loads.push(loaded());
  }
  ${REPORT_ANSWER}
  if (reportFile) writeFileSync(reportFile, JSON.stringify({ results, loads }));
})();
`;

// The hook runs before a module is evaluated and writes synchronously, so by the time an import
// settles, every file it loaded is in the trace.
const TRACE_SOURCE = `import { appendFileSync, writeFileSync } from "node:fs";
let file;
export function initialize(data) {
  file = data.file;
  writeFileSync(file, "");
}
export async function load(url, context, nextLoad) {
  if (url.startsWith("file:")) appendFileSync(file, url + "\\n");
  return nextLoad(url, context);
}
`;

/** Writes the bundle and the runner; returns the directory. */
export function writeBundle(dir: string, bundle: FunctionBundle): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(bundle.files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  writeFileSync(path.join(dir, RUNNER), RUNNER_SOURCE);
  writeFileSync(path.join(dir, TRACE_HOOKS), TRACE_SOURCE);
  return dir;
}

export interface RunReport {
  readonly results: FunctionUrlResult[];
  /** The bundle's files loaded so far (paths relative to the directory), after the import and after each event. */
  readonly loads: string[][];
}

/** One fresh process: import the bundle, handle `events` in order, report results and loaded files. */
export async function runEvents(
  dir: string,
  env: Readonly<Record<string, string>>,
  events: readonly FunctionUrlEvent[],
  trace = true,
): Promise<RunReport> {
  const eventsFile = path.join(dir, "events.json");
  const reportFile = path.join(dir, "report.json");
  const traceFile = path.join(dir, "trace.txt");
  writeFileSync(eventsFile, JSON.stringify(events));
  writeFileSync(reportFile, "");
  const { code, stderr } = await runNode(
    dir,
    [RUNNER, eventsFile, reportFile, ...(trace ? [traceFile] : [])],
    env,
  );
  if (code !== 0) throw new Error(`the bundle's process exited with ${code}: ${stderr}`);
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as {
    results: FunctionUrlResult[];
    loads: string[][];
  };
  const prefix = `${new URL(`file://${path.resolve(dir)}/`).href}`;
  return {
    results: report.results,
    loads: report.loads.map((urls) =>
      urls
        .filter((u) => u.startsWith(prefix))
        .map((u) => u.slice(prefix.length))
        .filter((name) => name !== RUNNER),
    ),
  };
}

/**
 * `node ARGS` in `dir` with only `env` (and PATH), stdout discarded; resolves on exit, with the
 * milliseconds from the start to the runner's "answered" line (or to the exit, without one) and the
 * CPU milliseconds the line reports.
 */
export function runNode(
  dir: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ code: number | null; stderr: string; millis: number; cpuMillis: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const start = process.hrtime.bigint();
    let answered: bigint | undefined;
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
      if (answered === undefined && new RegExp(`${ANSWERED} \\d+\n`).test(stderr))
        answered = process.hrtime.bigint();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const cpu = new RegExp(`${ANSWERED} (\\d+)\n`).exec(stderr)?.[1];
      resolve({
        code,
        stderr,
        millis: Number((answered ?? process.hrtime.bigint()) - start) / 1e6,
        cpuMillis: cpu === undefined ? Number.NaN : Number(cpu) / 1000,
      });
    });
  });
}
