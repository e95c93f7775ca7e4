import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { launchChromium } from "../../support/chromium";

const IMAGES = 100;
/** A 1×1 transparent PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/** Resolves once every image on the page has finished loading, and says how many did. */
const IMAGES_LOADED = `() => Promise.all([...document.images].map((img) =>
  img.complete ? img.naturalWidth > 0 : new Promise((resolve) => {
    img.onload = () => resolve(true);
    img.onerror = () => resolve(false);
  }))).then((ok) => ok.filter(Boolean).length)`;

describe("a page of 100 images reloaded in the same browser", function () {
  this.timeout(120_000);
  let dataDir: string;
  let stack: LocalStack;
  let page: Server;
  let pageUrl: string;
  let browser: Browser;
  const functionReads: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-cache-"));
    stack = await startLocalStack({
      dataDir,
      apiPort: 0,
      log: (f) => {
        if (f.component === "function" && f.message === "request" && f.method === "GET") {
          functionReads.push(String(f.key));
        }
      },
    });
    for (let i = 0; i < IMAGES; i++) {
      const step = (await (
        await fetch(`${stack.apiUrl}/gallery/${i}.png`, {
          method: "PUT",
          headers: { accept: "application/json", "content-type": "image/png" },
        })
      ).json()) as { url: string; headers: Record<string, string> };
      expect((await fetch(step.url, { method: "PUT", headers: step.headers, body: PNG })).status).to.equal(
        200,
      );
    }
    const html = `<!doctype html><title>gallery</title>${Array.from(
      { length: IMAGES },
      (_, i) => `<img src="${stack.apiUrl}/gallery/${i}.png" width="1" height="1">`,
    ).join("")}`;
    page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(html));
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (page ? page.close(() => resolve()) : resolve()));
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("calls the function 100 times the first time and 0 times after a reload", async () => {
    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    expect(await tab.evaluate(`(${IMAGES_LOADED})()`)).to.equal(IMAGES);
    const first = functionReads.length;
    await tab.reload();
    expect(await tab.evaluate(`(${IMAGES_LOADED})()`)).to.equal(IMAGES);
    const second = functionReads.length - first;
    console.log(`      function calls: first load ${first}, reload ${second} (of ${IMAGES} images)`);
    expect([first, second]).to.deep.equal([IMAGES, 0]);
  });
});
