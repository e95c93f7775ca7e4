import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { launchChromium } from "../support/chromium";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const KEY = "browser/clip ü.bin";

/** Texts of a table's rows, one string per row with cells joined by " | ". A string: it runs in the page. */
const rowTexts = (tbody: string) =>
  `Array.from(document.querySelectorAll('#${tbody} tr'), (r) => Array.from(r.cells, (c) => c.textContent).join(' | '))`;

describe("browser example page in headless Chromium", function () {
  this.timeout(180_000);
  let dataDir: string;
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  const bytes = randomBytes(30 * 1024 * 1024);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-browser-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true });
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).origin}`));
  });
  after(async () => {
    await browser?.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function downloadRow(key: string, name: string): Promise<Buffer> {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`tr[data-key="${key}"] button[data-action=download]`),
    ]);
    const saved = join(dataDir, name);
    await download.saveAs(saved);
    expect(download.suggestedFilename()).to.equal("clip ü.bin");
    return readFileSync(saved);
  }

  it("uploads 30 MB in parts from another origin, lists it, and downloads it back byte-identical", async () => {
    expect(new URL(stack.exampleUrl).origin).to.not.equal(new URL(stack.apiUrl).origin);
    await page.goto(`${stack.exampleUrl}?api=${encodeURIComponent(stack.apiUrl)}`);
    await page.setInputFiles("#file", {
      name: "clip ü.bin",
      mimeType: "application/octet-stream",
      buffer: bytes,
    });
    // Picked at the root, the file is named after itself; the key can then be changed.
    expect(await page.inputValue("#key")).to.equal("clip ü.bin");
    await page.fill("#key", KEY);
    await page.click("#upload");
    await page.waitForFunction(
      "/^(uploaded|failed)/.test(document.getElementById('status').textContent)",
      undefined,
      { timeout: 120_000 },
    );
    expect(await page.textContent("#status")).to.equal(`uploaded ${bytes.length} bytes`);
    expect(await page.evaluate("document.getElementById('progress').value")).to.equal(1);
    expect(await page.textContent("#log")).to.match(
      /completed browser\/clip ü\.bin: 31457280 bytes in 4 parts \(0 resumed\)\n$/,
    );

    // The root lists one folder; opening it lists the file with its size and date.
    await page.waitForSelector('tr[data-prefix="browser/"]');
    expect(await page.evaluate(rowTexts("entries"))).to.deep.equal(["browser/ |  |  | "]);
    await page.click('tr[data-prefix="browser/"] a');
    await page.waitForSelector(`tr[data-key="${KEY}"]`);
    expect(await page.textContent("#prefix")).to.equal("/browser/");
    const [row] = (await page.evaluate(rowTexts("entries"))) as string[];
    expect(row).to.match(
      /^clip ü\.bin \| 31457280 \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \| DownloadVersionsDelete$/,
    );

    const back = await downloadRow(KEY, "downloaded.bin");
    expect(back.length).to.equal(bytes.length);
    expect(sha256(back)).to.equal(sha256(bytes));
    expect(await page.textContent("#download-sha256")).to.equal(sha256(bytes));
    expect(await page.textContent("#status")).to.equal(`downloaded ${bytes.length} bytes`);

    // 30 MiB in 8 MiB parts: 4 part PUTs to storage, and one GET from the CDN edge.
    const origin = (url: string) => new URL(url).origin;
    expect(requests.filter((r) => r === `PUT ${origin(stack.storageUrl)}`)).to.have.length(4);
    expect(requests.filter((r) => r === `GET ${origin(stack.edgeUrl)}`)).to.have.length(1);
    expect(problems).to.deep.equal([]);
  });

  it("deletes the file, shows its versions, restores it and downloads the same bytes", async () => {
    await page.click(`tr[data-key="${KEY}"] button[data-action=delete]`);
    await page.waitForFunction(`document.getElementById('status').textContent === 'deleted ${KEY}'`);
    await page.waitForFunction("document.querySelectorAll('#versions tr').length === 2");
    expect(await page.evaluate(rowTexts("entries"))).to.deep.equal([]);
    expect(await page.textContent("#versions-key")).to.equal(KEY);
    const versions = (await page.evaluate(rowTexts("versions"))) as string[];
    expect(versions).to.have.length(2);
    expect(versions[0]).to.match(/^\S+ \(deleted\) \| {2}\| [\d -:]{19} \| current$/);
    expect(versions[1]).to.match(/^\S+ \| 31457280 \| [\d -:]{19} \| Restore$/);

    await page.click("#versions button[data-action=restore]");
    await page.waitForFunction(`document.getElementById('status').textContent === 'restored ${KEY}'`);
    await page.waitForFunction("document.querySelectorAll('#versions tr').length === 3");
    const after = (await page.evaluate(rowTexts("versions"))) as string[];
    expect(after[0]).to.match(/^\S+ \| 31457280 \| [\d -:]{19} \| current$/);
    expect(after[1]).to.match(/ \(deleted\) \| {2}\| /);
    expect(after[2]).to.equal(versions[1]);
    await page.waitForSelector(`tr[data-key="${KEY}"]`);

    const back = await downloadRow(KEY, "restored.bin");
    expect(sha256(back)).to.equal(sha256(bytes));
    expect(await page.textContent("#download-sha256")).to.equal(sha256(bytes));
    expect(problems).to.deep.equal([]);
  });
});
