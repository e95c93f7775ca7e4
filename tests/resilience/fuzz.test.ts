import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import {
  oneShot,
  pool,
  prng,
  randomBody,
  read,
  type StackProcess,
  send,
  startStackProcess,
  upload,
} from "./stack-process";

const SEED = 20261123;
const REQUESTS = { api: 4_000, edge: 3_000, storage: 3_000 };
/** Text that only ever goes into the values of secret-bearing parameters and headers. */
const MARKER = "s3cr3tm4rk";

type Target = keyof typeof REQUESTS;
interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

// Characters Node's HTTP client lets through in a request target: 0x21-0xff, including bytes that
// are not UTF-8 on their own. `?` and `#` stay out of paths so the query is the generator's.
const pathChar = fc.integer({ min: 0x21, max: 0xff }).filter((c) => c !== 0x3f && c !== 0x23);
const rawText = (max: number) =>
  fc.array(pathChar, { maxLength: max }).map((codes) => String.fromCharCode(...codes));
const segment = fc.oneof(
  fc.constantFrom("..", ".", "", "%2e%2e", "%2E%2e", "%2F", "%00", "%ff", "%", "%zz", "%E2%80%AE", "%C0%AE"),
  fc.constantFrom("photos", "cat.png", "local-files", "alice", "public", "a+b", "%20", "~", "*", "%25"),
  fc.constant("k".repeat(1100)),
  rawText(12),
);
const hostilePath = fc.array(segment, { minLength: 0, maxLength: 6 }).map((s) => `/${s.join("/")}`);

const SECRET_PARAMS = [
  "X-Amz-Signature",
  "X-Amz-Credential",
  "X-Amz-Security-Token",
  "Signature",
  "Policy",
  "token",
];
const OTHER_PARAMS = [
  ...["uploadId", "partNumber", "parts", "uploads", "versionId", "expires", "download", "etag"],
  ...["X-Amz-Date", "X-Amz-Expires", "X-Amz-Algorithm", "X-Amz-SignedHeaders", "Expires", "Key-Pair-Id"],
  ...["list-type", "prefix", "delete", "response-content-disposition", "x-id", "acl", "versions"],
];
const plainValue = fc.oneof(
  fc.constantFrom(
    "",
    "1",
    "0",
    "-1",
    "10001",
    "1-1000",
    "0-0",
    "5-2",
    "99999999999999999999",
    "true",
    "AWS4-HMAC-SHA256",
  ),
  rawText(40).map((t) => t.replace(/[&=]/g, "")),
  fc.string({ maxLength: 30 }).map((t) => encodeURIComponent(t)),
);
const secretValue = fc.nat().map((n) => `${MARKER}${n.toString(16)}`);
const param = fc.oneof(
  fc.tuple(fc.constantFrom(...SECRET_PARAMS), secretValue).map(([n, v]) => `${n}=${v}`),
  fc.tuple(fc.constantFrom(...OTHER_PARAMS), plainValue).map(([n, v]) => `${n}=${v}`),
  fc.constantFrom(...OTHER_PARAMS),
  rawText(10).map((t) => t.replace(/[&=]/g, "")),
);
const query = fc.array(param, { maxLength: 5 }).map((p) => (p.length ? `?${p.join("&")}` : ""));

const headerValue = fc.oneof(
  fc.constantFrom("", "*", "bytes=0-0", "bytes=-5", "bytes=99999999-", "bytes=a-b", "bytes=0-1,3-4", "-1"),
  fc.constantFrom(
    "application/json",
    "text/html",
    "image/png; charset=x",
    'attachment; filename="x"',
    'W/"1"',
  ),
  fc.constantFrom(
    "99999999999999999",
    "5",
    "abc",
    "UNSIGNED-PAYLOAD",
    "20261123T000000Z",
    "http://evil.test",
  ),
  fc.string({ maxLength: 20, unit: "grapheme-ascii" }),
);
const secretHeader = fc.tuple(
  fc.constantFrom("authorization", "x-amz-security-token"),
  fc.constantFrom("Bearer ", "AWS4-HMAC-SHA256 Credential=", "Basic ", ""),
  secretValue,
);
const headers = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(
        ...[
          "range",
          "if-none-match",
          "if-match",
          "accept",
          "content-type",
          "content-disposition",
          "upload-length",
        ],
        ...[
          "x-amz-content-sha256",
          "x-amz-date",
          "origin",
          "access-control-request-method",
          "x-amz-meta-sha256",
        ],
        ...["x-amz-meta-sha256", "cache-control", "host", "x-amz-copy-source", "content-md5"],
      ),
      headerValue,
      { maxKeys: 4 },
    ),
    fc.option(secretHeader, { nil: undefined }),
  )
  .map(([h, secret]) => (secret ? { ...h, [secret[0]]: `${secret[1]}${secret[2]}` } : h));

const method = fc.constantFrom(
  "GET",
  "GET",
  "HEAD",
  "PUT",
  "PUT",
  "POST",
  "DELETE",
  "OPTIONS",
  "PATCH",
  "PROPFIND",
);
const body = fc.option(fc.uint8Array({ maxLength: 2048 }), { nil: undefined, freq: 3 });

function hostile(prefix: string): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method,
      path: fc.tuple(hostilePath, query).map(([p, q]) => `${prefix}${p}${q}`),
      headers,
      body,
    })
    .map((r) => ({ ...r, body: r.body ? Buffer.from(r.body) : undefined }));
}

/** A real signed URL with one thing changed: a repeated, dropped or altered parameter, method or path. */
function mutated(urls: readonly string[]): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      url: fc.constantFrom(...urls),
      mutation: fc.constantFrom("repeat", "drop", "flip", "append", "case", "none"),
      which: fc.nat(),
      method,
      headers,
    })
    .map(({ url, mutation, which, method, headers }) => {
      const target = new URL(url);
      const pairs = target.search.slice(1).split("&");
      const i = which % pairs.length;
      const pair = pairs[i] ?? "";
      if (mutation === "repeat") pairs.push(pair);
      if (mutation === "drop") pairs.splice(i, 1);
      if (mutation === "flip") pairs[i] = pair.replace(/[0-9a-f](?=[^=]*$)/, (c) => (c === "0" ? "1" : "0"));
      if (mutation === "append") pairs.push(`X-Amz-Signature=${MARKER}dup`);
      const pathname = mutation === "case" ? target.pathname.toUpperCase() : target.pathname;
      return { method, path: `${pathname}?${pairs.join("&")}`, headers };
    });
}

describe("resilience: seeded fuzz of the API, the edge and the storage", function () {
  this.timeout(240_000);
  let dir: string;
  let stack: StackProcess;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-fuzz-"));
    stack = await startStackProcess(dir);
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${REQUESTS.api + REQUESTS.edge + REQUESTS.storage} hostile requests: 0 5xx from the function, no server down, no secret logged`, async () => {
    const random = prng(SEED);
    const original = randomBody(random, 4096, "fuzz seed object");
    expect((await upload(stack.api, "photos/cat.png", original)).status).to.equal(200);
    const readUrl = String((await send(stack.api, "GET", "/photos/cat.png")).headers.location);
    const put = JSON.parse(
      (await send(stack.api, "PUT", "/photos/dog.png", { accept: "application/json" })).body.toString(),
    );
    const storagePath = new URL(put.url as string).pathname;

    const generators: Record<Target, fc.Arbitrary<FuzzRequest>> = {
      api: hostile(""),
      edge: fc.oneof(hostile(""), mutated([readUrl])),
      storage: fc.oneof(
        hostile(""),
        hostile(storagePath.slice(0, storagePath.indexOf("/", 1))),
        mutated([put.url]),
      ),
    };
    const statuses: Record<Target, Map<number, number>> = {
      api: new Map(),
      edge: new Map(),
      storage: new Map(),
    };
    const errors: Record<Target, number> = { api: 0, edge: 0, storage: 0 };
    // 5xx anywhere and broken connections anywhere fail the test.
    const failures: Record<Target, string[]> = { api: [], edge: [], storage: [] };
    const base: Record<Target, string> = { api: stack.api, edge: stack.edge, storage: stack.storage };
    const tasks = (Object.keys(REQUESTS) as Target[]).flatMap((target, t) =>
      fc.sample(generators[target], { seed: SEED + t, numRuns: REQUESTS[target] }).map((r) => async () => {
        try {
          const answer = await send(base[target], r.method, r.path, r.headers, r.body, oneShot);
          statuses[target].set(answer.status, (statuses[target].get(answer.status) ?? 0) + 1);
          if (answer.status >= 500) failures[target].push(`${answer.status} ${r.method} ${r.path}`);
        } catch (error) {
          errors[target] += 1;
          const detail = `${(error as Error).message}: ${r.method} ${r.path} ${JSON.stringify(r.headers)}`;
          failures[target].push(detail);
        }
      }),
    );
    const started = Date.now();
    await pool(tasks, 16);
    const seconds = (Date.now() - started) / 1000;

    const classes = (t: Target) =>
      [2, 3, 4, 5]
        .map(
          (c) =>
            `${c}xx ${[...statuses[t]].filter(([s]) => Math.floor(s / 100) === c).reduce((n, [, k]) => n + k, 0)}`,
        )
        .join(", ");
    process.stdout.write(
      `      fuzz (seed ${SEED}): ${tasks.length} requests in ${seconds.toFixed(1)} s (${(tasks.length / seconds).toFixed(0)}/s)\n` +
        (Object.keys(REQUESTS) as Target[])
          .map(
            (t) => `        ${t}: ${REQUESTS[t]} requests, ${classes(t)}, ${errors[t]} connection errors\n`,
          )
          .join(""),
    );
    expect(failures.api.slice(0, 10)).to.deep.equal([]);
    expect(failures.storage.slice(0, 10)).to.deep.equal([]);
    expect(failures.edge.slice(0, 10)).to.deep.equal([]);
    expect(stack.alive()).to.equal(true);

    // Still serving, and the object untouched by all of it.
    const after = await read(stack.api, "photos/cat.png");
    expect(after.status).to.equal(200);
    expect(after.body.equals(original)).to.equal(true);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const log = readFileSync(stack.logFile, "utf8");
    const leaks = log.split("\n").filter((line) => line.includes(MARKER));
    process.stdout.write(
      `        log: ${log.split("\n").length - 1} lines, ${leaks.length} with a secret value\n`,
    );
    expect(leaks.slice(0, 3)).to.deep.equal([]);
  });
});
