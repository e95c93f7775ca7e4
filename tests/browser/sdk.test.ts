import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { inPage, launchChromium, watchedPage } from "../support/chromium";

const MIB = 1024 ** 2;
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

/** xorshift32: the same bytes in Node and in the page, so a file can be made again after a reload. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The page's copy of pseudoRandomBytes, and a File made from it with a fixed name and date. */
const PAGE_FILE = `(length, seed, name) => {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return new File([out], name, { type: "application/octet-stream", lastModified: 1700000000000 });
}`;

const hexOf = `async (blob) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer())), (b) => b.toString(16).padStart(2, "0")).join("")`;

describe("browser SDK in headless Chromium, from another origin", function () {
  this.timeout(120_000);
  let dataDir: string;
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let requests: string[];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-sdk-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    ({ page, problems, requests } = await watchedPage(browser));
    // The example page's origin serves the SDK module; the API, storage and CDN are other origins.
    await page.goto(`${stack.exampleUrl}?api=${encodeURIComponent(stack.apiUrl)}`);
  });
  afterEach(async () => {
    await page.close();
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const storagePuts = () => requests.filter((r) => r === `PUT ${new URL(stack.storageUrl).origin}`).length;

  /** Stores bytes through the API's JSON mode from Node, with the given upload headers. */
  async function putFromNode(key: string, body: Uint8Array, headers: Record<string, string> = {}) {
    const path = key.split("/").map(encodeURIComponent).join("/");
    const res = await fetch(`${stack.apiUrl}/${path}`, {
      method: "PUT",
      headers: { accept: "application/json", ...headers },
    });
    const step = (await res.json()) as { url: string; headers: Record<string, string> };
    const stored = await fetch(step.url, { method: "PUT", headers: step.headers, body });
    expect(stored.status).to.equal(200);
  }

  it("uploads 1 MB in one PUT with its SHA-256; stat, read and stream give it back byte-identical", async () => {
    const data = pseudoRandomBytes(1_000_000, 1);
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const file = (${PAGE_FILE})(1_000_000, 1, "one ü.bin");
        const phases = [];
        const upload = store.upload(file, key, { onProgress: (p) => { if (phases.at(-1) !== p.phase) phases.push(p.phase); } });
        const done = await upload.done;
        const stat = await store.stat(key);
        const read = await store.read(key);
        const { stream } = await store.stream(key);
        const streamed = await new Response(stream).blob();
        return { done, phases, stat, read: read.sha256, readBytes: read.blob.size, streamed: await (${hexOf})(streamed), name: sdk.fileNameOf(stat) };
      }`,
      { api: stack.apiUrl, key: "sdk/one ü.bin" },
    );
    expect(out.done).to.deep.equal({
      key: "sdk/one ü.bin",
      size: 1_000_000,
      etag: `"${md5(data)}"`,
      sha256: sha256(data),
      parts: 0,
      resumedParts: 0,
    });
    expect(out.phases).to.deep.equal(["hashing", "uploading"]);
    const stat = out.stat as Record<string, unknown>;
    expect(stat).to.include({
      key: "sdk/one ü.bin",
      size: 1_000_000,
      etag: `"${md5(data)}"`,
      contentType: "application/octet-stream",
      sha256: sha256(data),
      contentDisposition: "attachment; filename*=UTF-8''one%20%C3%BC.bin",
    });
    expect(out.name).to.equal("one ü.bin");
    expect(out.read).to.equal(sha256(data));
    expect(out.readBytes).to.equal(1_000_000);
    expect(out.streamed).to.equal(sha256(data));
    expect(storagePuts()).to.equal(1);
    expect(problems).to.deep.equal([]);
  });

  it("pauses a multipart upload, and after a reload resumes it from the parts the API lists", async () => {
    const size = 20 * MIB;
    const args = { api: stack.apiUrl, key: "sdk/resumed.bin", size };
    const paused = await inPage<{ error: string; saved: number }>(
      page,
      `async (sdk, { api, key, size }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const file = (${PAGE_FILE})(size, 7, "resumed.bin");
        const upload = store.upload(file, key, { parallelParts: 1, onProgress: (p) => {
          if (p.phase === "uploading" && p.bytes >= 8 * 1024 * 1024) upload.pause();
        } });
        const error = await upload.done.then(() => "finished", (e) => e.name + ": " + e.message);
        return { error, saved: Object.keys(localStorage).filter((k) => k.startsWith("signed-file-store:upload:")).length };
      }`,
      args,
    );
    expect(paused).to.deep.equal({ error: "AbortError: the upload was paused", saved: 1 });
    const putsBefore = storagePuts();
    expect(putsBefore).to.be.within(1, 2);

    await page.reload();
    const resumed = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key, size }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const file = (${PAGE_FILE})(size, 7, "resumed.bin");
        const firstReport = [];
        const done = await store.upload(file, key, { onProgress: (p) => { if (p.phase === "uploading" && !firstReport.length) firstReport.push(p.bytes); } }).done;
        const read = await store.read(key);
        return { parts: done.parts, resumedParts: done.resumedParts, sha256: done.sha256, firstReport: firstReport[0], read: read.sha256,
          saved: Object.keys(localStorage).filter((k) => k.startsWith("signed-file-store:upload:")).length };
      }`,
      args,
    );
    const data = pseudoRandomBytes(size, 7);
    expect(resumed).to.deep.equal({
      parts: 3,
      resumedParts: 1,
      sha256: sha256(data),
      firstReport: 8 * MIB,
      read: sha256(data),
      saved: 0,
    });
    // Parts 2 and 3 only: part 1 was not sent again.
    expect(storagePuts()).to.equal(putsBefore + 2);
    expect(problems.filter((p) => !p.includes("net::ERR_ABORTED"))).to.deep.equal([]);
  });

  it("abort deletes the stored parts (the API then knows no such upload) and forgets the upload", async () => {
    const out = await inPage<{ error: string; uploadId: string; saved: number }>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const file = (${PAGE_FILE})(20 * 1024 * 1024, 9, "aborted.bin");
        let uploadId;
        const upload = store.upload(file, key, { parallelParts: 1, onProgress: (p) => {
          const saved = Object.entries(localStorage).find(([k]) => k.startsWith("signed-file-store:upload:"));
          if (saved) uploadId = JSON.parse(saved[1]).uploadId;
          if (p.phase === "uploading" && p.bytes >= 8 * 1024 * 1024) upload.abort();
        } });
        const error = await upload.done.then(() => "finished", (e) => e.name + ": " + e.message);
        return { error, uploadId, saved: Object.keys(localStorage).filter((k) => k.startsWith("signed-file-store:upload:")).length };
      }`,
      { api: stack.apiUrl, key: "sdk/aborted.bin" },
    );
    expect(out.error).to.equal("AbortError: the upload was aborted");
    expect(out.saved).to.equal(0);
    const res = await fetch(`${stack.apiUrl}/sdk/aborted.bin?uploadId=${encodeURIComponent(out.uploadId)}`, {
      headers: { accept: "application/json" },
    });
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).to.equal("NoSuchUpload");
  });

  it("bytes that differ from the stored SHA-256: read() throws, stream() errors at its end", async () => {
    const data = pseudoRandomBytes(300_000, 3);
    const claimed = sha256(pseudoRandomBytes(300_000, 4));
    await putFromNode("sdk/tampered.bin", data, { "x-amz-meta-sha256": claimed });
    const out = await inPage<{ read: string; stream: string; unchecked: string }>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const read = await store.read(key).then(() => "ok", (e) => e.code + ": " + e.message);
        const { stream } = await store.stream(key);
        // A reader sees the stream's own error; new Response(stream) would turn it into "Failed to fetch".
        const reader = stream.getReader();
        const drain = async () => { while (!(await reader.read()).done); return "ok"; };
        const streamed = await drain().catch((e) => e.code + ": " + e.message);
        const unchecked = await store.read(key, { verify: false }).then((r) => r.sha256);
        return { read, stream: streamed, unchecked };
      }`,
      { api: stack.apiUrl, key: "sdk/tampered.bin" },
    );
    const message = `ChecksumMismatch: sdk/tampered.bin: got SHA-256 ${sha256(data)}, the upload recorded ${claimed}`;
    expect(out).to.deep.equal({ read: message, stream: message, unchecked: sha256(data) });
  });

  it("lists one level and recursively in pages, moves, deletes (one and many), lists versions and restores", async () => {
    for (const key of ["list/a.txt", "list/b.txt", "list/sub/c.txt"]) {
      await putFromNode(key, new TextEncoder().encode(`bytes of ${key}`));
    }
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const names = (page) => ({ objects: page.objects.map((o) => o.key + " " + o.size), prefixes: page.prefixes, next: page.next === null ? null : "token" });
        const level = names(await store.list("list"));
        const first = await store.list("list/", { recursive: true, limit: 2 });
        const second = await store.list("list/", { recursive: true, limit: 2, after: first.next });
        const all = [];
        for await (const o of store.listAll("list/", { recursive: true, limit: 1 })) all.push(o.key);
        const moved = await store.move("list/a.txt", "list/moved.txt");
        const many = await store.deleteMany(["list/b.txt", "list/sub/c.txt"]);
        await store.delete("list/moved.txt");
        const gone = await store.stat("list/moved.txt").then(() => "found", (e) => e.status + " " + e.code);
        const versions = (await store.versions("list/b.txt")).versions.map((v) => [v.isLatest, v.deleteMarker, v.size ?? "none"]);
        const older = (await store.versions("list/b.txt")).versions[1].versionId;
        const restored = await store.restore("list/b.txt", older);
        const back = await (await store.read("list/b.txt")).blob.text();
        const after = names(await store.list("list/", { recursive: true }));
        return { level, first: names(first), second: names(second), all, moved: [moved.key, moved.size], many, gone, versions, restored: [restored.key, restored.size], back, after };
      }`,
      { api: stack.apiUrl },
    );
    expect(out).to.deep.equal({
      level: { objects: ["list/a.txt 19", "list/b.txt 19"], prefixes: ["list/sub/"], next: null },
      first: { objects: ["list/a.txt 19", "list/b.txt 19"], prefixes: [], next: "token" },
      second: { objects: ["list/sub/c.txt 23"], prefixes: [], next: null },
      all: ["list/a.txt", "list/b.txt", "list/sub/c.txt"],
      moved: ["list/moved.txt", 19],
      many: { deleted: ["list/b.txt", "list/sub/c.txt"], errors: [] },
      gone: "404 NoSuchKey",
      versions: [
        [true, true, "none"],
        [false, false, 19],
      ],
      restored: ["list/b.txt", 19],
      back: "bytes of list/b.txt",
      after: { objects: ["list/b.txt 19"], prefixes: [], next: null },
    });
    expect(problems.filter((p) => !/status of 404/.test(p))).to.deep.equal([]);
  });
});
