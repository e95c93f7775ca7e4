/**
 * The browser SDK's uploads, reads and purge against the local stack, end to end: they need the
 * function to sign x-amz-checksum-* into the URLs it answers, the storage to check and keep them,
 * the API and bucket CORS rules to let the checksum headers through, and the function's purge
 * (CONTRACTS.md §1, §2).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { awsCrc64 } from "../support/aws-crc";
import { inPage, launchChromium, PAGE_FILE, pseudoRandomBytes, watchedPage } from "../support/chromium";
import { corruptStoredByte } from "../support/stored-files";

const MIB = 1024 ** 2;
const CRC = "x-amz-checksum-crc64nvme";

describe("browser SDK uploads with checksums, resume and purge, in headless Chromium (e2e)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let requests: string[];
  /** Every API request the page made: method, URL and the checksum header it carried. */
  let apiCalls: Array<{ method: string; url: string; crc?: string }>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-uploads-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    ({ page, problems, requests } = await watchedPage(browser));
    apiCalls = [];
    const api = new URL(stack.apiUrl).origin;
    page.on("request", (r) => {
      if (new URL(r.url()).origin !== api || r.method() === "OPTIONS") return;
      const crc = r.headers()[CRC];
      apiCalls.push({ method: r.method(), url: r.url(), ...(crc ? { crc } : {}) });
    });
    await page.goto(`${stack.exampleUrl}?api=${encodeURIComponent(stack.apiUrl)}`);
  });
  afterEach(() => page.close());
  after(async () => {
    await browser?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const storagePuts = () => requests.filter((r) => r === `PUT ${new URL(stack.storageUrl).origin}`).length;
  /**
   * Pauses the page's upload of `key` (its `globalThis.pauseUpload`) when the upload asks to send
   * part 2, holding that request until the pause, then dropping it. One part at a time, part 2
   * starts only once storage answered part 1: the pause lands with exactly part 1 stored, where a
   * pause on a progress figure races the parts' answers.
   */
  const pauseAtPartTwo = (key: string) => {
    let paused = false;
    return page.route(
      (url) => url.searchParams.get("partNumber") === "2" && url.pathname.endsWith(`/${key}`),
      async (route) => {
        if (route.request().method() !== "PUT" || paused) return route.continue();
        paused = true;
        await page.evaluate(() => (globalThis as unknown as { pauseUpload: () => void }).pauseUpload());
        return route.abort("aborted");
      },
    );
  };
  const partsSigned = () =>
    apiCalls
      .filter((c) => c.url.includes("parts="))
      .map((c) => [new URL(c.url).searchParams.get("parts"), c.crc]);

  it("one PUT binds the file's CRC64NVME: the result, stat and read carry it, and read and stream verify it", async () => {
    const data = pseudoRandomBytes(1_000_000, 1);
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const done = await store.upload((${PAGE_FILE})(1_000_000, 1, "one ü.bin"), key).done;
        const stat = await store.stat(key);
        const read = await store.read(key);
        const { stream } = await store.stream(key);
        const streamed = (await new Response(stream).arrayBuffer()).byteLength;
        return { done, stat: stat.checksum, verified: read.verified, size: read.blob.size, streamed };
      }`,
      { api: stack.apiUrl, key: "sdk/one ü.bin" },
    );
    const checksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: await awsCrc64(data) };
    expect(out.done).to.include({ key: "sdk/one ü.bin", size: 1_000_000, parts: 0, resumedParts: 0 });
    expect((out.done as { checksum: unknown }).checksum).to.deep.equal(checksum);
    expect(out).to.deep.include({ stat: checksum, verified: true, size: 1_000_000, streamed: 1_000_000 });
    expect(apiCalls.filter((c) => c.method === "PUT").map((c) => c.crc)).to.deep.equal([checksum.value]);
    expect(storagePuts()).to.equal(1);
    expect(problems).to.deep.equal([]);
  });

  it("60 MiB in 8 parts: two API requests sign them, each part with its CRC, and the object's checksum is the file's", async () => {
    const size = 60 * MIB;
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key, size }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const done = await store.upload((${PAGE_FILE})(size, 5, "sixty.bin"), key).done;
        return { done, stat: (await store.stat(key)).checksum };
      }`,
      { api: stack.apiUrl, key: "sdk/sixty.bin", size },
    );
    const data = pseudoRandomBytes(size, 5);
    const part = (n: number) => awsCrc64(data.subarray((n - 1) * 8 * MIB, n * 8 * MIB));
    expect(partsSigned()).to.deep.equal([
      ["1-4", (await Promise.all([1, 2, 3, 4].map(part))).join(",")],
      ["5-8", (await Promise.all([5, 6, 7, 8].map(part))).join(",")],
    ]);
    const whole = await awsCrc64(data);
    expect(out.done).to.include({ size, parts: 8, resumedParts: 0 });
    expect(out.stat).to.deep.equal({ algorithm: "CRC64NVME", type: "FULL_OBJECT", value: whole });
    const completions = apiCalls.filter((c) => c.method === "POST" && c.url.includes("uploadId="));
    expect(completions.map((c) => c.crc)).to.deep.equal([whole]);
    expect(storagePuts()).to.equal(8);
  });

  it("resume() continues a paused upload in the page, and one cut off by the network, from the parts storage holds", async () => {
    const size = 20 * MIB;
    let cut = false;
    await page.route(
      (url) => url.searchParams.get("partNumber") === "2" && url.pathname.endsWith("/sdk/cut.bin"),
      (route) => {
        if (route.request().method() !== "PUT" || cut) return route.continue();
        cut = true;
        return route.abort("connectionreset");
      },
    );
    await pauseAtPartTwo("sdk/paused.bin");
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, size }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const upload = store.upload((${PAGE_FILE})(size, 8, "cut.bin"), "sdk/cut.bin", { parallelParts: 1 });
        const failed = await upload.done.then(() => "finished", (e) => e.code + ": " + e.message);
        const resumed = await upload.resume();
        const paused = store.upload((${PAGE_FILE})(size, 9, "paused.bin"), "sdk/paused.bin", { parallelParts: 1 });
        globalThis.pauseUpload = () => paused.pause();
        const pause = await paused.done.then(() => "finished", (e) => e.name + ": " + e.message);
        const again = await paused.resume();
        const read = await store.read("sdk/paused.bin");
        return { failed, resumed: [resumed.parts, resumed.resumedParts], same: (await upload.done) === resumed,
          pause, again: [again.parts, again.resumedParts, again.checksum.value], verified: read.verified };
      }`,
      { api: stack.apiUrl, size },
    );
    expect(out).to.deep.equal({
      failed: "NetworkError: the upload failed (network or CORS)",
      resumed: [3, 1],
      same: true,
      pause: "AbortError: the upload was paused",
      again: [3, 1, await awsCrc64(pseudoRandomBytes(size, 9))],
      verified: true,
    });
  });

  it("after a reload, the same file resumes from the parts the API lists; an aborted upload is forgotten", async () => {
    const size = 20 * MIB;
    const args = { api: stack.apiUrl, key: "sdk/reloaded.bin", size };
    await pauseAtPartTwo("sdk/reloaded.bin");
    const paused = await inPage<string>(
      page,
      `async (sdk, { api, key, size }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const upload = store.upload((${PAGE_FILE})(size, 7, "reloaded.bin"), key, { parallelParts: 1 });
        globalThis.pauseUpload = () => upload.pause();
        return upload.done.then(() => "finished", (e) => e.name + ": " + e.message);
      }`,
      args,
    );
    expect(paused).to.equal("AbortError: the upload was paused");
    const putsBefore = storagePuts();
    await page.reload();
    const resumed = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key, size }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const done = await store.upload((${PAGE_FILE})(size, 7, "reloaded.bin"), key).done;
        const file = (${PAGE_FILE})(20 * 1024 * 1024, 9, "aborted.bin");
        const upload = store.upload(file, "sdk/aborted.bin", { parallelParts: 1, onProgress: (p) => {
          if (p.bytes >= 8 * 1024 * 1024) upload.abort();
        } });
        const aborted = await upload.done.then(() => "finished", (e) => e.name + ": " + e.message);
        return { parts: [done.parts, done.resumedParts], checksum: done.checksum.value, aborted,
          saved: Object.keys(localStorage).filter((k) => k.startsWith("signed-file-store:upload:")).length };
      }`,
      args,
    );
    expect(resumed).to.deep.equal({
      parts: [3, 1],
      checksum: await awsCrc64(pseudoRandomBytes(size, 7)),
      aborted: "AbortError: the upload was aborted",
      saved: 0,
    });
    // Parts 2 and 3 of the resumed file only; part 1 was not sent again.
    expect(
      requests.filter((r) => r === `PUT ${new URL(stack.storageUrl).origin}`).length - putsBefore,
    ).to.be.within(3, 4);
  });

  it("one byte gone bad on the storage's disk: read() throws ChecksumMismatch naming both values, stream() errors at its end", async () => {
    const data = pseudoRandomBytes(300_000, 3);
    await inPage(
      page,
      `async (sdk, { api }) => { await new sdk.SignedFileStore({ apiUrl: api }).upload((${PAGE_FILE})(300_000, 3, "t.bin"), "sdk/tampered.bin").done; }`,
      { api: stack.apiUrl },
    );
    await corruptStoredByte(dataDir, "sdk/tampered.bin", 1000);
    const bad = Uint8Array.from(data);
    bad[1000] = (bad[1000] ?? 0) ^ 0x01;
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const read = await store.read(key).then(() => "ok", (e) => e.code + ": " + e.message);
        const reader = (await store.stream(key)).stream.getReader();
        const drain = async () => { while (!(await reader.read()).done); return "ok"; };
        const streamed = await drain().catch((e) => e.code + ": " + e.message);
        const unchecked = await store.read(key, { verify: false });
        return { read, stream: streamed, unchecked: [unchecked.verified, unchecked.note, unchecked.blob.size] };
      }`,
      { api: stack.apiUrl, key: "sdk/tampered.bin" },
    );
    const message = `ChecksumMismatch: sdk/tampered.bin: the downloaded bytes have CRC64NVME ${await awsCrc64(bad)}, but the store's checksum is ${await awsCrc64(data)}`;
    expect(out).to.deep.equal({
      read: message,
      stream: message,
      unchecked: [false, "verify: false was given", 300_000],
    });
  });

  it("purge deletes every version of a key and says how many, with the invalidation; the key reads 404 after", async () => {
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        for (const seed of [1, 2]) await store.upload((${PAGE_FILE})(1000, seed, "p.bin"), key).done;
        const purged = await store.purge(key);
        const after = await store.stat(key).then(() => "found", (e) => e.status + " " + e.code);
        const never = await store.purge(["sdk/never-a.bin", "sdk/never-b.bin"]);
        return { purged, after, never: [never.purged, never.errors, never.invalidations.length] };
      }`,
      { api: stack.apiUrl, key: "sdk/purged.bin" },
    );
    const purged = out.purged as {
      purged: unknown;
      errors: unknown;
      invalidations: Array<{ paths: string[] }>;
    };
    expect(purged.purged).to.deep.equal([{ key: "sdk/purged.bin", deletedVersions: 2 }]);
    expect(purged.errors).to.deep.equal([]);
    expect(purged.invalidations.map((i) => i.paths)).to.deep.equal([["/sdk/purged.bin*"]]);
    expect(out.after).to.equal("404 NoSuchKey");
    // Keys with nothing stored are purged all the same (0 versions), their paths invalidated.
    expect(out.never).to.deep.equal([
      [
        { key: "sdk/never-a.bin", deletedVersions: 0 },
        { key: "sdk/never-b.bin", deletedVersions: 0 },
      ],
      [],
      1,
    ]);
  });
});
