import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { bundleBrowserModule } from "../../scripts/build-browser";
import { closedPort } from "../client/fake-server";
import { inPage, launchChromium, pseudoRandomBytes, startSite, watchedPage } from "../support/chromium";

describe("browser SDK in headless Chromium, from another origin", function () {
  this.timeout(300_000);
  let dataDir: string;
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-sdk-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    ({ page, problems } = await watchedPage(browser));
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

  /** Stores bytes through the API's JSON mode from Node, with the given upload headers. */
  async function putFromNode(key: string, body: Uint8Array, headers: Record<string, string> = {}) {
    const path = key.split("/").map(encodeURIComponent).join("/");
    const res = await fetch(`${stack.apiUrl}/${path}`, {
      method: "PUT",
      headers: { accept: "application/json", ...headers },
    });
    const step = (await res.json()) as { url: string; headers: Record<string, string> };
    const stored = await fetch(step.url, { method: "PUT", headers: step.headers, body: Buffer.from(body) });
    expect(stored.status).to.equal(200);
  }

  it("read and stream of an object stored from Node: checked against the store's checksum when it reports one, and say so when not", async () => {
    const data = pseudoRandomBytes(300_000, 3);
    await putFromNode("sdk/plain.bin", data);
    const out = await inPage<Record<string, unknown>>(
      page,
      `async (sdk, { api, key }) => {
        const store = new sdk.SignedFileStore({ apiUrl: api });
        const read = await store.read(key);
        const { object, stream } = await store.stream(key);
        const streamed = new Uint8Array(await new Response(stream).arrayBuffer());
        return { verified: read.verified, note: read.note ?? null, checksum: object.checksum ?? null, size: read.blob.size,
          first: Array.from(streamed.subarray(0, 4)), length: streamed.length };
      }`,
      { api: stack.apiUrl, key: "sdk/plain.bin" },
    );
    // What the store reports is the storage's to decide (sdk-uploads.e2e.test.ts pins a checksum).
    const reported = out.checksum !== null;
    expect(out).to.deep.equal({
      verified: reported,
      note: reported ? null : "the store reported no checksum for this object",
      checksum: out.checksum,
      size: 300_000,
      first: Array.from(data.subarray(0, 4)),
      length: 300_000,
    });
    expect(problems).to.deep.equal([]);
  });

  it("a request the API's CORS rules refuse is a CorsRefused error that says so, not a bare TypeError; an API not there is a NetworkError", async () => {
    const site = await startSite({
      "/app.js": "",
      "/signed-file-store.mjs": await bundleBrowserModule("signed-file-store.mjs"),
    });
    const other = await watchedPage(browser);
    try {
      await other.page.goto(`${site.url}/`);
      const gone = `http://127.0.0.1:${await closedPort()}`;
      const out = await inPage<Record<string, string>>(
        other.page,
        `async (sdk, { api, gone }) => {
          const words = (e) => e.name + " " + e.code + ": " + e.message;
          const refused = await new sdk.SignedFileStore({ apiUrl: api }).list("").then(() => "ok", words);
          const missing = await new sdk.SignedFileStore({ apiUrl: gone }).list("").then(() => "ok", words);
          return { refused, missing };
        }`,
        { api: stack.apiUrl, gone },
      );
      expect(out).to.deep.equal({
        refused:
          `SignedFileStoreError CorsRefused: the API at ${new URL(stack.apiUrl).origin} answered, but its CORS rules refuse this GET from ${site.url}: ` +
          `add ${site.url} to the deployment's allowed origins (corsOrigins), or check that the request's headers are allowed`,
        missing: `SignedFileStoreError NetworkError: the API at ${gone} could not be reached (Failed to fetch)`,
      });
    } finally {
      await other.page.close();
      await site.close();
    }
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
