import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { launchChromium } from "../../support/chromium";

const KEY = "browser/reads ü.bin";
const encodedKey = KEY.split("/").map(encodeURIComponent).join("/");
/** Read with Range in the second case; ASCII, so the edge logs its path as written here. */
const RANGED_KEY = "browser/ranged.bin";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

interface PageRead {
  readonly status: number;
  readonly redirected: boolean;
  readonly origin: string;
  readonly contentRange: string | null;
  readonly etag: string | null;
  readonly length: number;
  readonly sha256: string;
}

/**
 * Runs in the page: fetches `url` with `init` and reports what the page can see. A string, so
 * that this file needs no DOM types.
 */
const READ_IN_PAGE = `async ([url, init]) => {
  const res = await fetch(url, init);
  const bytes = await res.arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return {
    status: res.status,
    redirected: res.redirected,
    origin: new URL(res.url).origin,
    contentRange: res.headers.get("content-range"),
    etag: res.headers.get("etag"),
    length: bytes.byteLength,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  };
}`;

async function readInPage(page: Page, url: string, init: Record<string, unknown> = {}): Promise<PageRead> {
  return (await page.evaluate(`(${READ_IN_PAGE})(${JSON.stringify([url, init])})`)) as PageRead;
}

describe("reads from another origin in headless Chromium", function () {
  this.timeout(120_000);
  let dataDir: string;
  let stack: LocalStack;
  let browser: Browser;
  const bytes = randomBytes(300_000);
  const edgeLog: Record<string, unknown>[] = [];
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-reads-"));
    stack = await startLocalStack({
      dataDir,
      apiPort: 0,
      log: (fields) => fields.component === "edge" && fields.method !== undefined && edgeLog.push(fields),
    });
    for (const key of [encodedKey, RANGED_KEY]) {
      const put = await fetch(`${stack.apiUrl}/${key}`, {
        method: "PUT",
        headers: { accept: "application/json" },
      });
      const step = (await put.json()) as { url: string; headers: Record<string, string> };
      const stored = await fetch(step.url, { method: "PUT", headers: step.headers, body: bytes });
      expect(stored.status).to.equal(200);
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The edge's log lines for `path`, once `count` have arrived: they cross from the edge's thread. */
  async function edgeLines(path: string, count: number): Promise<[unknown, unknown][]> {
    const lines = () =>
      edgeLog.filter((l) => l.path === path).map((l): [unknown, unknown] => [l.method, l.status]);
    for (let i = 0; i < 100 && lines().length < count; i++) await new Promise((r) => setTimeout(r, 20));
    return lines();
  }

  async function pageOnAnotherOrigin(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(stack.exampleUrl);
    const pageOrigin = new URL(stack.exampleUrl).origin;
    expect([
      pageOrigin === new URL(stack.apiUrl).origin,
      pageOrigin === new URL(stack.edgeUrl).origin,
    ]).to.deep.equal([false, false]);
    return page;
  }

  it("fetch(API + key) follows the 307 to the CDN (sent with Origin: null) and gets the exact bytes", async () => {
    const page = await pageOnAnotherOrigin();
    const cdnOrigins: Promise<string | undefined>[] = [];
    page.on("request", (request) => {
      if (request.url().startsWith(stack.edgeUrl))
        cdnOrigins.push(request.allHeaders().then((h) => h.origin));
    });
    const read = await readInPage(page, `${stack.apiUrl}/${encodedKey}`, { cache: "no-store" });
    expect(read).to.deep.include({
      status: 200,
      redirected: true,
      origin: new URL(stack.edgeUrl).origin,
      length: bytes.length,
      sha256: sha256(bytes),
    });
    expect(await Promise.all(cdnOrigins)).to.deep.equal(["null"]);
    await page.close();
  });

  it("a preflighted read of a signed URL (Range with If-Range) gets 206 and the right bytes", async () => {
    const page = await pageOnAnotherOrigin();
    const instruction = (await page.evaluate(
      `fetch(${JSON.stringify(`${stack.apiUrl}/${RANGED_KEY}`)}, { headers: { accept: "application/json" } }).then((r) => r.json())`,
    )) as { url: string };
    const whole = await readInPage(page, instruction.url, { cache: "no-store" });
    expect([whole.status, whole.sha256]).to.deep.equal([200, sha256(bytes)]);
    const etag = whole.etag ?? "";
    expect(etag).to.match(/^"[0-9a-f]{32}"$/);

    const ranged = await readInPage(page, instruction.url, {
      cache: "no-store",
      headers: { range: "bytes=1000-1999", "if-range": etag },
    });
    expect(ranged).to.deep.include({
      status: 206,
      contentRange: `bytes 1000-1999/${bytes.length}`,
      length: 1000,
      sha256: sha256(bytes.subarray(1000, 2000)),
    });
    const stale = await readInPage(page, instruction.url, {
      cache: "no-store",
      headers: { range: "bytes=1000-1999", "if-range": '"0123456789abcdef0123456789abcdef"' },
    });
    expect([stale.status, stale.length, stale.sha256]).to.deep.equal([200, bytes.length, sha256(bytes)]);
    // Chromium preflights each of the ranged no-store requests; the edge answers every preflight 200.
    expect(await edgeLines(`/${RANGED_KEY}`, 5)).to.deep.equal([
      ["GET", 200],
      ["OPTIONS", 200],
      ["GET", 206],
      ["OPTIONS", 200],
      ["GET", 200],
    ]);
    await page.close();
  });
});
