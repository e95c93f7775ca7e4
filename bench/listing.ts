/**
 * Listing under load, side by side with the cheapest answer the function gives: many connections
 * at once ask for read redirects (one HeadObject each), one page of a folder, a recursive listing of
 * 1,000 keys, and a page 3,000 keys deep. Each contender keeps the same number of
 * requests in flight for the same time, in rounds that take turns, and is printed as its rate
 * against the redirects' in the same round, with its p99 and any answer that was not the one
 * expected (a 503 under load counts there, never as throughput).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalStack } from "../local/stack/stack";
import { LOCAL_BUCKET, seedObjects } from "../tests/support/seed-objects";
import { line, ratios, showSpread, spread } from "./stats";

const ROUNDS = 3;
const MILLIS = 3000;
const IN_FLIGHT = Number(process.env.SFS_BENCH_CONNECTIONS ?? 50);
const FOLDERS = 50;
const PER_FOLDER = 100;

interface Load {
  readonly perSecond: number;
  readonly p99Ms: number;
  readonly unexpected: number;
}

/** Keeps `inFlight` requests going for `millis`, each checked against its expected status. */
async function load(request: () => Promise<Response>, expected: number, inFlight: number, millis: number) {
  const latencies: number[] = [];
  let unexpected = 0;
  const start = performance.now();
  const until = start + millis;
  const worker = async () => {
    while (performance.now() < until) {
      const sent = performance.now();
      const res = await request();
      await res.arrayBuffer();
      latencies.push(performance.now() - sent);
      if (res.status !== expected) unexpected++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
  return { perSecond: (latencies.length - unexpected) / seconds, p99Ms, unexpected } satisfies Load;
}

export async function listing(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sfs-bench-listing-"));
  const dataDir = join(dir, "stack");
  const folder = (f: number) => `d${String(f).padStart(2, "0")}`;
  const keys = Array.from({ length: FOLDERS * PER_FOLDER }, (_, i) => ({
    key: `${folder(Math.floor(i / PER_FOLDER))}/f${String(i % PER_FOLDER).padStart(3, "0")}.bin`,
  }));
  const big = Array.from({ length: 1000 }, (_, i) => ({ key: `big/${String(i).padStart(4, "0")}.bin` }));
  await seedObjects(dataDir, LOCAL_BUCKET, [...keys, ...big]);
  const stack = await startLocalStack({ dataDir, apiPort: 0, examplePort: 0, log: () => {} });
  try {
    const api = (path: string) =>
      fetch(`${stack.apiUrl}/${path}`, { redirect: "manual", headers: { accept: "application/json" } });
    let after = "";
    for (let page = 0; page < 3; page++) {
      const answer = (await (await api(`?recursive&limit=1000${after}`)).json()) as { next: string | null };
      if (!answer.next) throw new Error("the 6,000-key listing ended before its fourth page");
      after = `&after=${encodeURIComponent(answer.next)}`;
    }
    const deep = `?recursive&limit=100${after}`;
    let n = 0;
    const contenders = {
      redirect: [() => fetch(`${stack.apiUrl}/${keys[n++ % keys.length]?.key}`, { redirect: "manual" }), 307],
      folderPage: [() => api(`${folder(n++ % FOLDERS)}/?limit=100`), 200],
      recursive1000: [() => api("big/?recursive"), 200],
      deepPage: [() => api(deep), 200],
    } as const;
    const names = Object.keys(contenders) as Array<keyof typeof contenders>;
    const results = Object.fromEntries(names.map((name) => [name, [] as Load[]])) as Record<
      keyof typeof contenders,
      Load[]
    >;
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const [request, expected] = contenders[name];
        results[name].push(await load(request, expected, IN_FLIGHT, MILLIS));
      }
    }
    const rate = (name: keyof typeof contenders) => results[name].map((r) => r.perSecond);
    const p99 = (name: keyof typeof contenders) =>
      showSpread(spread(results[name].map((r) => r.p99Ms)), 0, " ms");
    const unexpected = (name: keyof typeof contenders) =>
      results[name].reduce((sum, r) => sum + r.unexpected, 0);
    console.log(
      `Listing under load: ${IN_FLIGHT} requests in flight, ${ROUNDS} rounds of ${MILLIS / 1000} s taking turns, ${keys.length + big.length} keys (ratio of request rates, median (min .. max))`,
    );
    line(
      "read redirects (HeadObject + signed URL), requests/s",
      showSpread(spread(rate("redirect")), 0, "/s"),
    );
    const rows: Array<[keyof typeof contenders, string]> = [
      ["folderPage", "a folder's page of 100 / read redirects"],
      ["recursive1000", "a recursive listing of 1,000 keys / read redirects"],
      ["deepPage", "a page of 100, 3,000 keys deep / read redirects"],
    ];
    for (const [name, label] of rows) line(label, showSpread(spread(ratios(rate(name), rate("redirect")))));
    line(
      "p99: redirect, folder page, recursive 1,000, deep page",
      names.map((name) => p99(name).split(" (")[0]).join(", "),
    );
    line(
      "answers other than 307/200 (all rounds)",
      names.map((name) => `${name} ${unexpected(name)}`).join(", "),
    );
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
