import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SigV4Signer } from "../../functions/signers/sigv4";
import {
  keepAlive,
  md5,
  pool,
  prng,
  randomBody,
  type StackProcess,
  send,
  startStackProcess,
  upload,
} from "./stack-process";

const MiB = 1024 * 1024;
const DISTRIBUTION = "ELOCALSTACK0001";

interface Read {
  readonly status: number;
  readonly cache: string;
  readonly md5: string;
  readonly bytes: number;
}

/** A read through the API's redirect and the edge, hashed as it arrives: nothing is kept whole. */
async function streamRead(api: string, key: string): Promise<Read> {
  const redirect = await send(api, "GET", `/${key}`);
  if (redirect.status !== 307) return { status: redirect.status, cache: "", md5: "", bytes: 0 };
  const location = new URL(String(redirect.headers.location));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: location.hostname,
        port: location.port,
        path: `${location.pathname}${location.search}`,
        agent: keepAlive,
      },
      (res) => {
        const hash = createHash("md5");
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            cache: String(res.headers["x-cache"]),
            md5: hash.digest("hex"),
            bytes,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The stack's JSON request log, one object per line. */
function logLines(stack: StackProcess): Record<string, unknown>[] {
  return readFileSync(stack.logFile, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until the log holds `count` edge lines for GETs (written when each viewer's answer ends). */
async function edgeLines(stack: StackProcess, count: number): Promise<Record<string, unknown>[]> {
  for (;;) {
    const lines = logLines(stack).filter((l) => l.component === "edge" && l.method === "GET");
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** GETs the edge sent to storage (its origin reads), by key. */
const originReads = (stack: StackProcess, prefix: string) =>
  logLines(stack).filter(
    (l) =>
      l.component === "storage" && l.method === "GET" && String(l.path).startsWith(`/local-files/${prefix}`),
  ).length;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Samples the stack's RSS every 20 ms while `work` runs; resolves with the peak and the result. */
async function peakRss<T>(stack: StackProcess, work: () => Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = stack.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, stack.rss());
  }, 20);
  try {
    const result = await work();
    return { peak: Math.max(peak, stack.rss()), result };
  } finally {
    clearInterval(sampler);
  }
}

const mib = (bytes: number) => (bytes / MiB).toFixed(0);

describe("resilience: edge storm", function () {
  this.timeout(240_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-edge-storm-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("16 parallel first reads of one 32 MiB object: one origin read, memory within the cache bound", async () => {
    const SIZE = 32 * MiB;
    const CACHE_BYTES = 64 * MiB;
    const READERS = 16;
    const stack = await startStackProcess(dir, ["--edge-cache-bytes", String(CACHE_BYTES)]);
    try {
      const body = randomBody(prng(16), SIZE, "sixteen readers");
      expect((await upload(stack.api, "big/one.bin", body)).status).to.equal(200);
      const sum = md5(body);
      const baseline = stack.rss();
      const started = Date.now();
      const { peak, result: reads } = await peakRss(stack, () =>
        Promise.all(Array.from({ length: READERS }, () => streamRead(stack.api, "big/one.bin"))),
      );
      const seconds = (Date.now() - started) / 1000;
      await edgeLines(stack, READERS);
      // The fill (the cache's own room) and, per connection, what its socket holds, plus 64 MiB for
      // the runtime. Reading the object whole per request would be 512 MiB more.
      const bound = baseline + CACHE_BYTES + READERS * 2 * MiB + 64 * MiB;
      process.stdout.write(
        `      edge collapse: ${READERS} parallel first reads of ${mib(SIZE)} MiB (${mib((READERS * SIZE) / seconds)} MiB/s), ` +
          `${originReads(stack, "big/one.bin")} origin read, RSS ${mib(baseline)} MiB before, peak ${mib(peak)} MiB, ` +
          `bound ${mib(bound)} MiB (cache ${mib(CACHE_BYTES)} MiB)\n`,
      );
      expect(reads.map((r) => [r.status, r.md5])).to.deep.equal(new Array(READERS).fill([200, sum]));
      expect(originReads(stack, "big/one.bin")).to.equal(1);
      expect(reads.filter((r) => r.cache === "Miss from cloudfront").length).to.equal(1);
      expect(peak).to.be.below(bound);
    } finally {
      await stack.stop();
    }
  });

  it("reading eight 60 MiB objects through the edge keeps the stack's memory within the cache bound", async () => {
    const OBJECTS = 8;
    const SIZE = 60 * MiB;
    const CACHE_BYTES = 64 * MiB;
    const READERS = 2;
    const stack = await startStackProcess(dir, ["--edge-cache-bytes", String(CACHE_BYTES)]);
    try {
      const block = randomBody(prng(60), MiB, "block");
      const sums: string[] = [];
      for (let i = 0; i < OBJECTS; i++) {
        const body = Buffer.alloc(SIZE);
        for (let offset = 0; offset < SIZE; offset += MiB) block.copy(body, offset);
        body.write(`object ${i} `.repeat(8), 0, "latin1");
        sums.push(md5(body));
        expect((await upload(stack.api, `big/${i}.bin`, body)).status).to.equal(200);
      }
      const baseline = stack.rss();
      const started = Date.now();
      const { peak } = await peakRss(stack, async () => {
        for (let pass = 0; pass < 2; pass++) {
          const answers = await pool(
            sums.map((_, i) => () => streamRead(stack.api, `big/${i}.bin`)),
            READERS,
          );
          expect(answers.map((a, i) => a.status === 200 && a.md5 === sums[i])).to.deep.equal(
            new Array(OBJECTS).fill(true),
          );
        }
      });
      const seconds = (Date.now() - started) / 1000;
      // The cache with what it holds in flight, as much again in evicted bodies until the garbage
      // collector frees them, and 128 MiB for sockets and the runtime. No object is held per reader.
      const bound = baseline + 2 * CACHE_BYTES + 128 * MiB;
      process.stdout.write(
        `      edge memory: ${OBJECTS} x 60 MiB read twice (${mib((2 * OBJECTS * SIZE) / seconds)} MiB/s), ` +
          `RSS ${mib(baseline)} MiB before, peak ${mib(peak)} MiB, bound ${mib(bound)} MiB (cache ${mib(CACHE_BYTES)} MiB)\n`,
      );
      expect(peak).to.be.below(bound);
      expect(stack.alive()).to.equal(true);
    } finally {
      await stack.stop();
    }
  });

  it("a storm: 600 reads of 48 objects, 48 at once, through a cache a third their size, with purges", async () => {
    const OBJECTS = 48;
    const READS = 600;
    const CONCURRENCY = 48;
    const CACHE_BYTES = 32 * MiB;
    const cloudFrontPort = await freePort();
    const stack = await startStackProcess(dir, [
      "--edge-cache-bytes",
      String(CACHE_BYTES),
      "--cloudfront-port",
      String(cloudFrontPort),
    ]);
    try {
      const random = prng(48);
      const bodies = Array.from({ length: OBJECTS }, (_, i) =>
        randomBody(random, 256 * 1024 + Math.floor(random() * 3 * MiB), `storm ${i}`),
      );
      const total = bodies.reduce((sum, b) => sum + b.length, 0);
      for (const [i, body] of bodies.entries())
        expect((await upload(stack.api, `storm/${i}.bin`, body)).status).to.equal(200);
      const sums = bodies.map(md5);
      // Hot keys first: the square of a uniform draw favours low indexes, so reads of one key overlap.
      const picks = Array.from({ length: READS }, () => Math.floor(random() ** 2 * OBJECTS));
      const { writer } = JSON.parse(readFileSync(path.join(dir, "local-secrets.json"), "utf8")) as {
        writer: { accessKeyId: string; secretAccessKey: string };
      };
      const purge = async (prefix: string, reference: string) => {
        const endpoint = new URL(
          `http://127.0.0.1:${cloudFrontPort}/2020-05-31/distribution/${DISTRIBUTION}/invalidation`,
        );
        const body = `<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>1</Quantity><Items><Path>${prefix}*</Path></Items></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch>`;
        const headers = new SigV4Signer().signHeaders(
          { method: "POST", path: endpoint.pathname, headers: { host: endpoint.host } },
          body,
          { region: "us-east-1", service: "cloudfront", credentials: writer, now: new Date() },
        );
        return (await fetch(endpoint, { method: "POST", headers, body })).status;
      };
      const baseline = stack.rss();
      const started = Date.now();
      const purges: number[] = [];
      const { peak, result: reads } = await peakRss(stack, () =>
        pool(
          picks.map((key, n) => async () => {
            // Two purges of the hottest keys while the storm runs.
            if (n === READS / 3 || n === (2 * READS) / 3) purges.push(await purge("/storm/", `storm-${n}`));
            return { key, read: await streamRead(stack.api, `storm/${key}.bin`) };
          }),
          CONCURRENCY,
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      const lines = await edgeLines(stack, READS);
      const misses = lines.filter((l) => l.cache === "Miss from cloudfront").length;
      const hits = lines.filter((l) => l.cache === "Hit from cloudfront").length;
      const origin = originReads(stack, "storm/");
      const bytes = reads.reduce((sum, r) => sum + r.read.bytes, 0);
      // The cache's bound, and per connection what its socket holds, plus 96 MiB for the runtime.
      const bound = baseline + CACHE_BYTES + CONCURRENCY * 2 * MiB + 96 * MiB;
      process.stdout.write(
        `      edge storm: ${READS} reads of ${OBJECTS} objects (${mib(total)} MiB) through a ${mib(CACHE_BYTES)} MiB cache, ` +
          `${CONCURRENCY} at once, ${mib(bytes / seconds)} MiB/s; ${hits} hits, ${misses} misses, ${origin} origin reads; ` +
          `RSS ${mib(baseline)} MiB before, peak ${mib(peak)} MiB, bound ${mib(bound)} MiB\n`,
      );
      expect(purges).to.deep.equal([201, 201]);
      expect(reads.filter((r) => r.read.status !== 200 || r.read.md5 !== sums[r.key]).length).to.equal(0);
      expect(hits + misses).to.equal(READS);
      // Every miss is one origin read; every other request was answered from the cache or from an
      // object already on its way.
      expect(origin).to.equal(misses);
      expect(hits).to.be.above(0);
      expect(peak).to.be.below(bound);
    } finally {
      await stack.stop();
    }
  });
});
