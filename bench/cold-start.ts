/**
 * Cold start, as Lambda pays it: the bundle's size, the time to import it, and the time a fresh
 * process takes to answer its first GET and its first PUT, each as a ratio to `node -e 0` measured
 * in the same rounds. The first version's one-file bundle of the same source (the packages' CommonJS
 * builds, nothing lazy) is built alongside as a second yardstick, and so are the two ways to read
 * the signing key from SSM.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { bundleHandler, PROJECT_ROOT } from "../components/bundle/function-bundle";
import type { FunctionUrlEvent } from "../functions/http/function-url";
import { functionUrlEvent } from "../tests/support/events";
import { REPORT_ANSWER, RUNNER, runEvents, runNode, writeBundle } from "./bundle-process";
import { startFakeAwsThread } from "./fake-aws-worker";
import { line, ratios, showSpread, spread, timings } from "./stats";

const ROUNDS = 15;
const CREDENTIALS = {
  accessKeyId: "AKIDBENCH",
  secretAccessKey: "bench-secret",
  sessionToken: "bench-token",
};
const PARAMETER = "/signed-file-store/bench/signing-key";
const KEY = "photos/cat.png";

export async function coldStart(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "sfs-cold-"));
  const pem = generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const aws = await startFakeAwsThread({
    ...CREDENTIALS,
    bucket: "bench-bucket",
    parameters: { [PARAMETER]: JSON.stringify({ keyPairId: "KBENCH", privateKeyPem: pem }) },
    objects: { [KEY]: { versionId: "v1", etag: '"e1"', size: 1, contentType: "image/png" } },
  });
  try {
    const bundle = bundleHandler();
    const fn = writeBundle(path.join(dir, "function"), bundle);
    const env = functionEnvironment(aws.url);
    const events = {
      none: writeEvents(fn, "none"),
      get: writeEvents(fn, "get", functionUrlEvent("GET", `/${KEY}`)),
      put: writeEvents(fn, "put", functionUrlEvent("PUT", `/${KEY}`, { headers: { "content-length": "1" } })),
    };
    const legacy = legacyBundle(path.join(dir, "legacy"));
    const ssm = ssmProbes(path.join(dir, "ssm"));

    const traced = await runEvents(fn, env, [functionUrlEvent("GET", `/${KEY}`)]);
    const atStart = traced.loads[0] ?? [];
    const bytes = (names: readonly string[]) =>
      names.reduce((sum, n) => sum + Buffer.byteLength(bundle.files[n] ?? ""), 0);
    const allBytes = bytes(Object.keys(bundle.files));
    console.log("Bundle (what Lambda loads at start, then on first use)");
    line("files loaded by the import", atStart.join(" "));
    line("bytes loaded by the import (budget 102400)", String(bytes(atStart)));
    line("bytes of the whole zip, client-s3 included", String(allBytes));
    line("the first version's one-file bundle of the same source", String(legacy.bytes));
    line("import-time bytes / the first version's bundle", (bytes(atStart) / legacy.bytes).toFixed(3));
    line("import-time bytes / 100 KB budget", (bytes(atStart) / 102400).toFixed(3));

    const cpu: Record<string, number[]> = {};
    const node =
      (name: string, cwd: string, args: string[], extra: Record<string, string> = {}) =>
      async () => {
        const { code, stderr, millis, cpuMillis } = await runNode(cwd, args, { ...env, ...extra });
        if (code !== 0) throw new Error(`node ${args.join(" ")} exited with ${code}: ${stderr}`);
        cpu[name] = [...(cpu[name] ?? []), cpuMillis];
        return millis;
      };
    const t = await timings(
      {
        bare: node("bare", fn, ["-e", REPORT_ANSWER]),
        importBundle: node("importBundle", fn, [RUNNER, events.none]),
        importLegacy: node("importLegacy", legacy.dir, ["run.cjs"]),
        firstGet: node("firstGet", fn, [RUNNER, events.get]),
        firstPut: node("firstPut", fn, [RUNNER, events.put]),
        ssmDirect: node("ssmDirect", ssm.dir, ["direct.cjs"]),
        ssmClient: node("ssmClient", ssm.dir, ["client.cjs"]),
        fetch: node("fetch", ssm.dir, ["fetch.cjs"]),
        http: node("http", ssm.dir, ["http.cjs"]),
        two: node("two", ssm.dir, ["two.cjs"]),
      },
      ROUNDS,
    );
    const both = (name: keyof typeof t) =>
      `${showSpread(spread(ratios(t[name], t.bare)))}   cpu ${showSpread(spread(ratios(cpu[name] ?? [], cpu.bare ?? [])))}`;
    console.log(
      `Fresh processes, ${ROUNDS} rounds taking turns: time (and CPU time) to the answer / a bare node's`,
    );
    line(
      "a bare node, `node -e 0` (ms)",
      `${showSpread(spread(t.bare), 1, " ms")}   cpu ${showSpread(spread(cpu.bare ?? []), 1, " ms")}`,
    );
    line("import the bundle (index.js)", both("importBundle"));
    line("import the first version's bundle (one file, nothing lazy)", both("importLegacy"));
    line("import and answer a first GET (SSM key + version lookup)", both("firstGet"));
    line("import and answer a first PUT", both("firstPut"));
    line("GetParameter signed directly, over node:https", both("ssmDirect"));
    line("GetParameter through @aws-sdk/client-ssm (bundled, loaded on use)", both("ssmClient"));
    line("one HEAD request with the global fetch", both("fetch"));
    line("one HEAD request with node:http", both("http"));
    line("two HEAD requests at once with node:http (a first GET's floor)", both("two"));
  } finally {
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function functionEnvironment(awsUrl: string): Record<string, string> {
  return {
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
    AWS_ENDPOINT_URL_SSM: awsUrl,
    SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER: PARAMETER,
    SIGNED_FILE_STORE_CONFIG: JSON.stringify({
      s3: { bucket: "bench-bucket", region: "eu-west-1", endpoint: awsUrl },
      cdnBaseUrl: "https://d111111abcdef8.cloudfront.net",
      cdn: { distributionId: "E2BENCHDIST" },
      keyPairId: "KCONFIG",
      hashAlgorithm: "SHA256",
      expirySeconds: 300,
      auth: { mode: "public" },
    }),
  };
}

function writeEvents(dir: string, name: string, ...events: FunctionUrlEvent[]): string {
  const file = path.join(dir, `events-${name}.json`);
  writeFileSync(file, JSON.stringify(events));
  return file;
}

const BUILD = {
  absWorkingDir: PROJECT_ROOT,
  bundle: true,
  platform: "node",
  target: "node22",
  minify: true,
  keepNames: true,
  legalComments: "none",
  logLevel: "silent",
} as const;

/** The function as its first version bundled it: one CommonJS file of the packages' CommonJS builds, nothing loaded lazily. */
function legacyBundle(dir: string): { dir: string; bytes: number } {
  const outfile = path.join(dir, "index.js");
  buildSync({
    ...BUILD,
    entryPoints: [path.join(PROJECT_ROOT, "functions", "index.ts")],
    format: "cjs",
    outfile,
  });
  writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }');
  writeFileSync(path.join(dir, "run.cjs"), `require("./index.js");\n${REPORT_ANSWER}\n`);
  return { dir, bytes: statSync(outfile).size };
}

/**
 * Programs that read one parameter (the function's direct call, and client-ssm loaded on use) and
 * that make one request (with fetch, and with node:http) or two at once, each one CommonJS file as
 * the function is.
 */
function ssmProbes(dir: string): { dir: string } {
  const credentials = `const credentials = async () => ({ accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, sessionToken: process.env.AWS_SESSION_TOKEN });`;
  const direct = `import { ssmReaderFromEnvironment } from "./functions/signers/ssm-parameter";
${credentials}
ssmReaderFromEnvironment(credentials)(process.env.SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER).then(() => ${REPORT_ANSWER});`;
  const client = `${credentials}
import("@aws-sdk/client-ssm").then(({ SSMClient, GetParameterCommand }) =>
  new SSMClient({ credentials }).send(new GetParameterCommand({ Name: process.env.SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER, WithDecryption: true })),
).then(() => ${REPORT_ANSWER});`;
  // One HEAD to the fake S3 (answered 403, unsigned): the first use of fetch against node:http.
  const fetchProbe = `fetch(process.env.AWS_ENDPOINT_URL_SSM + "/bucket/key", { method: "HEAD" }).then((res) => res.arrayBuffer()).then(() => ${REPORT_ANSWER});`;
  const httpProbe = `const { request } = require("node:http");
request(process.env.AWS_ENDPOINT_URL_SSM + "/bucket/key", { method: "HEAD" }, (res) => res.resume().on("end", () => ${REPORT_ANSWER})).end();`;
  // A first GET's two round trips at once (the key and the lookup), with nothing signed: its floor.
  const twoProbe = `const { request } = require("node:http");
let answered = 0;
for (const path of ["/bucket/key", "/"])
  request(process.env.AWS_ENDPOINT_URL_SSM + path, { method: "HEAD" }, (res) => res.resume().on("end", () => { if (++answered === 2) ${REPORT_ANSWER} })).end();`;
  for (const [name, contents] of [
    ["direct", direct],
    ["client", client],
    ["fetch", fetchProbe],
    ["http", httpProbe],
    ["two", twoProbe],
  ] as const) {
    buildSync({
      ...BUILD,
      stdin: { contents, resolveDir: PROJECT_ROOT, sourcefile: `${name}.ts`, loader: "ts" },
      format: "cjs",
      mainFields: ["module", "main"],
      outfile: path.join(dir, `${name}.cjs`),
    });
  }
  return { dir };
}
