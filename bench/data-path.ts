/**
 * The local stack's data path, side by side in one run: a download through the local CDN edge
 * against a plain Node server streaming the same file, and `sfs put` against `curl -T` of one
 * presigned PUT. `sfs put` sums every byte it sends (CRC64NVME, bound into each part's URL and
 * checked by the storage) and sends parts; curl sends one stream and no checksum, the fastest an
 * upload to the storage can be. Both are measured with the real curl and the real CLI (started
 * as a user starts it, so its start-up counts), in rounds that take turns,
 * and printed as ratios (never asserted), with the time a multipart completion takes for the whole
 * file against one of the smallest parts. `SFS_BENCH_DATA_MIB` sets the size (default 1024).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startLocalStack } from "../local/stack/stack";
import { COMPLETION_MIN_BYTES, type Completion, completionRound } from "./completion";
import { line, ratios, showSpread, spread } from "./stats";

const run = promisify(execFile);
const MIB = 1024 * 1024;
const ROUNDS = 3;

function writeFile(file: string, bytes: number): void {
  const fd = openSync(file, "w");
  const block = randomBytes(16 * MIB);
  for (let written = 0; written < bytes; written += block.length) {
    writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  }
  closeSync(fd);
}

/** Seconds curl takes, checking the status and the byte count. */
async function curlSeconds(
  args: string[],
  bytes: number,
  field: "size_download" | "size_upload",
): Promise<number> {
  const out = (
    await run("curl", ["-sS", "-o", "/dev/null", "-w", `%{http_code} %{${field}} %{time_total}`, ...args])
  ).stdout;
  const [code, size, seconds] = out.split(" ");
  if (code !== "200" || Number(size) !== bytes) throw new Error(`curl answered ${out}`);
  return Number(seconds);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function dataPath(): Promise<void> {
  const size = Number(process.env.SFS_BENCH_DATA_MIB ?? 1024) * MIB;
  const dir = mkdtempSync(join(tmpdir(), "sfs-bench-data-"));
  const file = join(dir, "data.bin");
  writeFile(file, size);
  const stack = await startLocalStack({
    dataDir: join(dir, "stack"),
    apiPort: 0,
    examplePort: 0,
    log: () => {},
  });
  const plain = createServer((_req, res) => {
    res.writeHead(200, { "content-length": size, "content-type": "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/data.bin`;
  const api = (key: string, init: RequestInit) =>
    fetch(`${stack.apiUrl}/${key}`, {
      ...init,
      headers: { accept: "application/json", ...init.headers },
    }).then((res) => res.json() as Promise<{ url: string; headers: Record<string, string> }>);
  try {
    const sfs = (key: string) =>
      run(process.execPath, [
        join(__dirname, "..", "packages", "client", "bin", "sfstore.js"),
        "put",
        file,
        key,
        "--api-url",
        stack.apiUrl,
        "--no-progress",
      ]);
    await sfs("bench/stored.bin");
    const edge: number[] = [];
    const origin: number[] = [];
    const put: number[] = [];
    const curlPut: number[] = [];
    const completions: Array<{ large: Completion; small: Completion }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      origin.push(await curlSeconds([plainUrl], size, "size_download"));
      const read = await api("bench/stored.bin", {});
      edge.push(await curlSeconds([read.url], size, "size_download"));
      const write = await api(`bench/curl-${round}.bin`, {
        method: "PUT",
        headers: { "upload-length": String(size) },
      });
      const headers = Object.entries(write.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);
      curlPut.push(await curlSeconds(["-T", file, ...headers, write.url], size, "size_upload"));
      put.push(await timed(() => sfs(`bench/sfs-${round}.bin`)));
      if (size >= COMPLETION_MIN_BYTES)
        completions.push(await completionRound(stack.apiUrl, file, size, round));
    }
    console.log(
      `Local data path, ${size / MIB} MiB, ${ROUNDS} rounds taking turns (ratio of speeds, median (min .. max))`,
    );
    line(
      "download through the local edge / plain Node server (same file)",
      showSpread(spread(ratios(origin, edge))),
    );
    line("sfstore put / curl -T of one presigned PUT", showSpread(spread(ratios(curlPut, put))));
    line(
      "seconds: curl -T, sfstore put",
      `${showSpread(spread(curlPut), 2, " s")}, ${showSpread(spread(put), 2, " s")}`,
    );
    if (completions.length === 0) return;
    const large = completions.map((c) => c.large.seconds);
    const small = completions.map((c) => c.small.seconds);
    const mib = (c: Completion | undefined) => (c?.bytes ?? 0) / MIB;
    line(
      `completion time, ${mib(completions[0]?.large)} MiB / ${mib(completions[0]?.small)} MiB (two parts each)`,
      showSpread(spread(ratios(large, small))),
    );
    line(
      "milliseconds: those two completions",
      `${showSpread(spread(large.map((s) => s * 1000)), 1, " ms")}, ${showSpread(spread(small.map((s) => s * 1000)), 1, " ms")}`,
    );
  } finally {
    plain.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
