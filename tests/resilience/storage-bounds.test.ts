import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { seedObjects } from "../support/seed-objects";
import { type StackProcess, send, startStackProcess } from "./stack-process";

const MiB = 1024 * 1024;
/** The local stack's bucket (local/stack/stack.ts). */
const BUCKET = "local-files";

const json = (body: Buffer) => JSON.parse(body.toString("utf8")) as Record<string, unknown>;
const pathOf = (url: URL) => `${url.pathname}${url.search}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

/** A presigned instruction from the API (`accept: application/json`): where to send, with which headers. */
async function instruction(
  stack: StackProcess,
  method: string,
  key: string,
  headers: Record<string, string> = {},
) {
  const answer = await send(stack.api, method, `/${key}`, { accept: "application/json", ...headers });
  expect(answer.status, answer.body.toString()).to.equal(200);
  const { url, headers: signed } = json(answer.body) as { url: string; headers: Record<string, string> };
  return { url: new URL(url), headers: signed };
}

describe("resilience: storage bounds", function () {
  this.timeout(120_000);
  let dir: string;
  let stack: StackProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-bounds-"));
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("a key with 10,000 versions: a replayed presigned DELETE costs what it costs on a fresh key", async () => {
    const seeding = performance.now();
    await seedObjects(dir, BUCKET, [{ key: "history/long.txt", body: "", versions: 10_000 }]);
    const seeded = (performance.now() - seeding) / 1000;
    const starting = performance.now();
    stack = await startStackProcess(dir);
    const started = (performance.now() - starting) / 1000;
    const long = await instruction(stack, "DELETE", "history/long.txt");
    const fresh = await instruction(stack, "DELETE", "history/fresh.txt");
    const replay = async (target: { url: URL; headers: Record<string, string> }) => {
      const begun = performance.now();
      const answer = await send(target.url.origin, "DELETE", pathOf(target.url), target.headers);
      expect(answer.status).to.equal(204);
      return performance.now() - begun;
    };
    const onLong: number[] = [];
    const onFresh: number[] = [];
    // Interleaved, so that other load on the machine weighs on both alike.
    for (let i = 0; i < 300; i += 1) {
      onLong.push(await replay(long));
      onFresh.push(await replay(fresh));
    }
    const ratio = median(onLong) / median(onFresh);
    const listed = await send(stack.api, "GET", "/history/long.txt?versions&limit=1000");
    process.stdout.write(
      `      long history: 10,000 versions seeded in ${seeded.toFixed(1)} s, stack started in ${started.toFixed(1)} s; ` +
        `300 replayed DELETEs each: median ${median(onLong).toFixed(2)} ms on the long key (10,300 entries at the end), ` +
        `${median(onFresh).toFixed(2)} ms on a fresh key, ratio ${ratio.toFixed(2)}\n`,
    );
    expect(listed.status).to.equal(200);
    expect((json(listed.body).versions as unknown[]).length).to.equal(1000);
    expect(ratio).to.be.below(3);
    expect(stack.alive()).to.equal(true);
  });

  it("eight concurrent completions of one upload through the API: one version, no answer but 200 or 404 NoSuchUpload", async () => {
    stack = await startStackProcess(dir);
    const key = "race/completed.bin";
    const created = await send(stack.api, "POST", `/${key}?uploads`, {
      accept: "application/json",
      "upload-length": String(5 * MiB + 1024),
    });
    expect(created.status, created.body.toString()).to.equal(200);
    const uploadId = String(json(created.body).uploadId);
    const query = `uploadId=${encodeURIComponent(uploadId)}`;
    const signed = json((await send(stack.api, "GET", `/${key}?${query}&parts=1-2`)).body).parts as Array<{
      partNumber: number;
      url: string;
      headers?: Record<string, string>;
    }>;
    const bodies = [randomBytes(5 * MiB), randomBytes(1024)];
    const parts = [];
    for (const [i, part] of signed.entries()) {
      const url = new URL(part.url);
      const answer = await send(url.origin, "PUT", pathOf(url), { ...(part.headers ?? {}) }, bodies[i]);
      expect(answer.status).to.equal(200);
      parts.push({ partNumber: part.partNumber, etag: String(answer.headers.etag) });
    }
    const body = Buffer.from(JSON.stringify({ parts }));
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        send(stack?.api ?? "", "POST", `/${key}?${query}`, { "content-type": "application/json" }, body),
      ),
    );
    const statuses = answers.map((a) => a.status);
    const versions = json((await send(stack.api, "GET", `/${key}?versions`)).body).versions as unknown[];
    const count = (status: number) => statuses.filter((s) => s === status).length;
    process.stdout.write(
      `      concurrent completions: 8 sent, ${count(200)} answered 200, ${count(404)} answered 404, ` +
        `${statuses.length - count(200) - count(404)} other; ${versions.length} version created\n`,
    );
    expect(versions.length).to.equal(1);
    expect(count(200)).to.be.at.least(1);
    expect(count(200) + count(404)).to.equal(8);
    const notFound = answers
      .filter((a) => a.status === 404)
      .map((a) => (json(a.body).error as { code: string }).code);
    expect(notFound).to.deep.equal(notFound.map(() => "NoSuchUpload"));
  });
});
