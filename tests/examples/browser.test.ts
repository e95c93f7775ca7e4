import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type Browser, chromium } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../local/stack";

/** Debian's chromium; playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("browser example page in headless Chromium", function () {
  this.timeout(180_000);
  let dataDir: string;
  let stack: LocalStack;
  let browser: Browser;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("uploads 30 MB in parts from another origin and downloads it back byte-identical", async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(String(e)));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).origin}`));

    expect(new URL(stack.exampleUrl).origin).to.not.equal(new URL(stack.apiUrl).origin);
    await page.goto(`${stack.exampleUrl}?api=${encodeURIComponent(stack.apiUrl)}`);
    const bytes = randomBytes(30 * 1024 * 1024);
    await page.fill("#key", "browser/clip ü.bin");
    await page.setInputFiles("#file", {
      name: "clip ü.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });
    await page.click("#upload");
    // A string, so that this file needs no DOM types; it runs in the page.
    await page.waitForFunction(
      "/^(uploaded|upload failed)/.test(document.getElementById('status').textContent)",
      undefined,
      { timeout: 120_000 },
    );
    expect(await page.textContent("#status")).to.equal(`uploaded ${bytes.length} bytes`);
    expect(await page.evaluate("document.getElementById('progress').value")).to.equal(1);
    expect(await page.textContent("#log")).to.match(
      /completed browser\/clip ü\.bin: 31457280 bytes in 4 parts/,
    );

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const saved = join(dataDir, "downloaded.bin");
    await download.saveAs(saved);
    expect(download.suggestedFilename()).to.equal("clip ü.bin");
    const back = readFileSync(saved);
    expect(back.length).to.equal(bytes.length);
    expect(sha256(back)).to.equal(sha256(bytes));
    expect(await page.textContent("#download-sha256")).to.equal(sha256(bytes));
    expect(await page.textContent("#status")).to.equal(`downloaded ${bytes.length} bytes`);
    expect(problems).to.deep.equal([]);

    // 30 MiB in 8 MiB parts: 4 part PUTs to storage, and one GET from the CDN edge.
    const origin = (url: string) => new URL(url).origin;
    const storagePuts = requests.filter((r) => r === `PUT ${origin(stack.storageUrl)}`);
    expect(storagePuts).to.have.length(4);
    expect(requests.filter((r) => r === `GET ${origin(stack.edgeUrl)}`)).to.have.length(1);
    await page.close();
  });
});
