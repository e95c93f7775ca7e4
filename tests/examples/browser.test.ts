/**
 * The example page (examples/browser/) in headless Chromium against the local stack, as a person
 * uses it: uploads through Uppy's Dashboard (file input and drop, a pause and a resume), the file
 * list with folders, versions and restore, a share link, delete-for-good (purge), and the three
 * auth modes. What the page says it stored is checked through the API.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { Crc64Nvme } from "../../functions/api/checksums";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { launchChromium } from "../support/chromium";
import {
  bytesOf,
  chooseFiles,
  dashboardItem,
  dropFiles,
  holdPart,
  objectThroughApi,
  openPage,
  pngSize,
  readThroughApi,
  type TestFile,
  uploadAll,
  type WatchedPage,
  waitListed,
  waitUploaded,
} from "./page-driver";

const MIB = 1024 ** 2;
/**
 * The picture of the page. `SFS_UPDATE_SCREENSHOT=1 npm test` writes it to the docs; otherwise it
 * goes to a temporary file, so a test run leaves the checkout as it found it (the picture carries
 * the stack's port and the time).
 */
const SCREENSHOT =
  process.env.SFS_UPDATE_SCREENSHOT === "1"
    ? join(__dirname, "..", "..", "docs", "images", "example-page.png")
    : join(tmpdir(), `sfs-example-page-${process.pid}.png`);
const NOTES: TestFile = { name: "notes ü.txt", size: 1536, seed: 1 };
/** From 8 MiB the adapter uploads in parts: two here, so the upload can be paused between them. */
const VIDEO: TestFile = { name: "video.bin", size: 9.5 * MIB, seed: 2 };
const PLAN_V1: TestFile = { name: "plan.txt", size: 3000, seed: 3 };
const PLAN_V2: TestFile = { name: "plan.txt", size: 5000, seed: 4 };

describe("the example page in headless Chromium", function () {
  this.timeout(120_000);
  const dataDirs: string[] = [];
  const stacks: LocalStack[] = [];
  let browser: Browser;

  async function stack(auth?: "jwt" | "iam"): Promise<LocalStack> {
    const dataDir = mkdtempSync(join(tmpdir(), "sfs-example-"));
    dataDirs.push(dataDir);
    const started = await startLocalStack({
      dataDir,
      apiPort: 0,
      issuerPort: 0,
      ...(auth ? { auth: auth === "jwt" ? { mode: "jwt" } : { mode: "iam" } } : {}),
      log: () => {},
    });
    stacks.push(started);
    return started;
  }

  /** The iam stack, started once: its page is also the origin the public stack's CORS rules refuse. */
  let iamStack: Promise<LocalStack> | undefined;
  const iam = () => {
    iamStack ??= stack("iam");
    return iamStack;
  };

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    for (const s of stacks) await s.stop();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  describe("auth mode public", () => {
    let local: LocalStack;
    let watched: WatchedPage;
    let page: Page;
    let shareUrl: string;

    before(async () => {
      local = await stack();
      // The stack tells the page its API through /config.json: the bare address is enough.
      watched = await openPage(browser, local.exampleUrl);
      page = watched.page;
    });
    after(() => watched?.context.close());

    it("starts on an empty store that says so, with the API and the auth mode in the top bar", async () => {
      await page.waitForSelector("#empty:not([hidden])");
      expect(await page.textContent("#empty")).to.equal(
        "No files yetDrop files on the uploader, or browse for them: they are listed here once stored.",
      );
      expect(await page.textContent("#auth-mode")).to.equal("public");
      expect(await page.textContent("#api-host")).to.equal(new URL(local.apiUrl).host);
      expect(await page.textContent(".uppy-Dashboard-note")).to.equal("Files go to /");
    });

    it("uploads two files through the Dashboard, one chosen and one dropped, pausing and resuming the large one; the list shows them with their sizes", async () => {
      await chooseFiles(page, [NOTES]);
      await dropFiles(page, [VIDEO]);
      await page.waitForSelector(".uppy-StatusBar-actionBtn--upload");
      expect(await page.textContent(".uppy-StatusBar-actionBtn--upload")).to.equal("Upload 2 files");

      // The second part is held at storage, so the upload is surely running when it is paused.
      const part = await holdPart(page, new URL(local.storageUrl).origin, 2);
      await page.click(".uppy-StatusBar-actionBtn--upload");
      await part.reached;
      const progress = dashboardItem(page, VIDEO.name).locator(
        "button.uppy-Dashboard-Item-progressIndicator",
      );
      expect(await progress.getAttribute("aria-label")).to.equal("Pause upload");
      await progress.click();
      await page.waitForSelector(`.uppy-Dashboard-Item-progressIndicator[aria-label="Resume upload"]`);
      await part.release();
      await progress.click();
      await waitUploaded(page, 2);

      await waitListed(page, [`${NOTES.name} | 1.5 KiB`, `${VIDEO.name} | 9.5 MiB`]);
      for (const file of [NOTES, VIDEO]) {
        const read = await readThroughApi(local.apiUrl, file.name);
        expect([read.status, read.body.equals(bytesOf(file))]).to.deep.equal([200, true]);
      }
    });

    it("downloads a file from its row under its own name, byte for byte", async () => {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click(`tr[data-key="${NOTES.name}"] [data-action=download]`),
      ]);
      expect(download.suggestedFilename()).to.equal(NOTES.name);
      expect(new URL(download.url()).origin).to.equal(new URL(local.edgeUrl).origin);
      expect(readFileSync(await download.path()).equals(bytesOf(NOTES))).to.equal(true);
    });

    it("shows a file's details with the checksum the API reports, and checks a download against it", async () => {
      // The multipart upload's checksum: CRC64NVME of the whole file, as storage combined it from the parts.
      const crc = new Crc64Nvme().update(bytesOf(VIDEO)).digest();
      expect((await objectThroughApi(local.apiUrl, VIDEO.name)).checksum).to.deep.equal({
        algorithm: "CRC64NVME",
        type: "FULL_OBJECT",
        value: crc,
      });
      await page.click(`tr[data-key="${VIDEO.name}"] [data-action=details]`);
      await page.waitForSelector("#details-dialog[open] dd[data-field=checksum]");
      expect(await page.textContent("#details-title")).to.equal(`Details of ${VIDEO.name}`);
      const fields = () =>
        page.evaluate(`Object.fromEntries(Array.from(document.querySelectorAll("#details-list dd"),
          (dd) => [dd.dataset.field, dd.textContent]))`);
      const shown = (await fields()) as Record<string, string>;
      expect(Object.keys(shown)).to.deep.equal([
        "key",
        "size",
        "type",
        "modified",
        "version",
        "checksum",
        "etag",
      ]);
      expect(shown.key).to.equal(VIDEO.name);
      expect(shown.size).to.equal("9.5 MiB (9,961,472 bytes)");
      expect(shown.checksum).to.equal(`CRC64NVME of the whole file${crc}`);
      expect(await page.textContent("#details-list .checksum-value")).to.equal(crc);

      await page.click("#details-check");
      await page.waitForFunction(
        `document.getElementById("details-verdict").textContent.startsWith("Read ")`,
      );
      expect(await page.textContent("#details-verdict")).to.equal(
        "Read 9.5 MiB (9,961,472 bytes) and checked them: their CRC64NVME matches the store's.",
      );
      expect(await page.isHidden("#details-problem")).to.equal(true);
      await page.click("#details-dialog button[value=close]");
    });

    it("opens a new folder, uploads into it, and finds it again from the breadcrumbs", async () => {
      await page.click(".uppy-StatusBar-actionBtn--done");
      await page.click("[data-action=new-folder]");
      await page.fill("#folder-name", "plans");
      await page.click("#folder-dialog button[value=create]");
      await page.waitForSelector("#empty:not([hidden]) >> text=This folder is empty");
      expect(await page.textContent("#crumbs")).to.equal("All files/plans");
      expect(await page.textContent(".uppy-Dashboard-note")).to.equal("Files go to /plans/");
      expect(new URL(page.url()).hash).to.equal("#/plans/");

      await chooseFiles(page, [PLAN_V1]);
      await uploadAll(page, 1);
      await waitListed(page, ["plan.txt | 2.9 KiB"]);

      await page.click("#crumbs a[data-prefix='']");
      await waitListed(page, ["plans | Folder", `${NOTES.name} | 1.5 KiB`, `${VIDEO.name} | 9.5 MiB`]);
      await page.click("tr[data-prefix='plans/'] a");
      await waitListed(page, ["plan.txt | 2.9 KiB"]);
    });

    it("takes a screenshot of the page with files listed (docs/images/example-page.png with SFS_UPDATE_SCREENSHOT=1)", async () => {
      await page.setViewportSize({ width: 1280, height: 620 });
      await page.click(".uppy-StatusBar-actionBtn--done");
      await page.click("#crumbs a[data-prefix='']");
      await waitListed(page, ["plans | Folder", `${NOTES.name} | 1.5 KiB`, `${VIDEO.name} | 9.5 MiB`]);
      // The picture shows the page at rest: no message over it, the pointer off it.
      for (const close of await page.$$(".toast button[aria-label=Dismiss]")) await close.click();
      await page.waitForFunction(`document.querySelectorAll(".toast").length === 0`);
      await page.waitForSelector(".uppy-Dashboard-AddFiles");
      await page.mouse.move(0, 0);
      const png = await page.screenshot({ path: SCREENSHOT, animations: "disabled" });
      expect(pngSize(png)).to.deep.equal({ width: 1280, height: 620 });
      expect(readFileSync(SCREENSHOT).equals(png)).to.equal(true);
      if (process.env.SFS_UPDATE_SCREENSHOT !== "1") rmSync(SCREENSHOT);
      await page.click("tr[data-prefix='plans/'] a");
      await waitListed(page, ["plan.txt | 2.9 KiB"]);
    });

    it("shows a file's versions after an overwrite, and restores the older one", async () => {
      await chooseFiles(page, [PLAN_V2]);
      await uploadAll(page, 1);
      await waitListed(page, ["plan.txt | 4.9 KiB"]);

      await page.click("tr[data-key='plans/plan.txt'] [data-action=versions]");
      await page.waitForFunction(`document.querySelectorAll("#versions tr").length === 2`);
      const versions = () =>
        page.evaluate(`Array.from(document.querySelectorAll("#versions tr"), (row) =>
          [row.querySelector(".tag").textContent, row.querySelector(".size").textContent, row.querySelector("[data-action=restore]") !== null])`);
      expect(await versions()).to.deep.equal([
        ["Current", "4.9 KiB", false],
        ["Earlier", "2.9 KiB", true],
      ]);
      await page.click("#versions [data-action=restore]");
      await page.waitForFunction(`document.querySelectorAll("#versions tr").length === 3`);
      expect(await versions()).to.deep.equal([
        ["Current", "2.9 KiB", false],
        ["Earlier", "4.9 KiB", true],
        ["Earlier", "2.9 KiB", true],
      ]);
      await page.click("#versions-dialog button[value=close]");
      await waitListed(page, ["plan.txt | 2.9 KiB"]);
      const read = await readThroughApi(local.apiUrl, "plans/plan.txt");
      expect([read.status, read.body.equals(bytesOf(PLAN_V1))]).to.deep.equal([200, true]);
    });

    it("makes a share link of a chosen lifetime that downloads the file, and copies it", async () => {
      await page.click("tr[data-key='plans/plan.txt'] [data-action=share]");
      // The stack's maxReadExpirySeconds is the API's default, a day.
      expect(
        await page.evaluate(
          `Array.from(document.querySelectorAll("#share-expiry option"), (o) => o.textContent)`,
        ),
      ).to.deep.equal(["15 minutes", "1 hour", "1 day"]);
      expect(await page.inputValue("#share-expiry")).to.equal("3600");
      await page.selectOption("#share-expiry", "86400");
      await page.waitForFunction(`document.getElementById("share-url").value.startsWith("http")`);
      shareUrl = await page.inputValue("#share-url");
      expect(new URL(shareUrl).origin).to.equal(new URL(local.edgeUrl).origin);
      const expires = Number(new URL(shareUrl).searchParams.get("Expires"));
      expect(expires - Date.now() / 1000).to.be.within(86_400 - 60, 86_400 + 3_600);
      expect(await page.textContent("#share-until")).to.match(/^Works until .+\.$/);

      const shared = await fetch(shareUrl);
      expect(shared.status).to.equal(200);
      expect(shared.headers.get("content-disposition")).to.equal("attachment; filename*=UTF-8''plan.txt");
      expect(Buffer.from(await shared.arrayBuffer()).equals(bytesOf(PLAN_V1))).to.equal(true);

      await page.click("#share-copy");
      await page.waitForSelector("#share-copy >> text=Copied");
      expect(await page.evaluate("navigator.clipboard.readText()")).to.equal(shareUrl);
      await page.click("#share-dialog button[value=close]");
    });

    it("purges after a confirmation that says what it does: every version gone, the share link refused", async () => {
      await page.click("tr[data-key='plans/plan.txt'] [data-action=purge]");
      await page.waitForSelector("#purge-dialog[open]");
      expect(await page.textContent("#purge-title")).to.equal("Purge plan.txt for good?");
      expect(await page.textContent("#purge-text")).to.equal(
        "This deletes every version of the file, not only the current one, and has the CDN drop its cached copies, so every share link made for it stops working. Unlike Delete, it cannot be undone.",
      );
      await page.click("#purge-confirm");
      await page.waitForSelector(
        ".toast >> text=Purged plan.txt: 3 versions deleted, and the CDN told to forget it.",
      );
      await page.waitForSelector("#empty:not([hidden]) >> text=This folder is empty");

      expect((await readThroughApi(local.apiUrl, "plans/plan.txt")).status).to.equal(404);
      // The edge no longer has it and storage has no such version. S3 answers a missing version
      // 403 AccessDenied to a reader without s3:ListBucket, as CloudFront's origin access is, and
      // CloudFront passes the 403 on.
      const shared = await fetch(shareUrl);
      expect(shared.status).to.equal(403);
      expect(await shared.text()).to.contain("<Code>AccessDenied</Code>");
      expect(watched.problems).to.deep.equal([]);
    });

    it("deletes with an Undo that brings the file back", async () => {
      await page.click("#crumbs a[data-prefix='']");
      await waitListed(page, [`${NOTES.name} | 1.5 KiB`, `${VIDEO.name} | 9.5 MiB`]);
      await page.click(`tr[data-key="${NOTES.name}"] [data-action=delete]`);
      await waitListed(page, [`${VIDEO.name} | 9.5 MiB`]);
      expect((await readThroughApi(local.apiUrl, NOTES.name)).status).to.equal(404);
      await page.click(".toast:has-text('Deleted notes ü.txt') >> text=Undo");
      await waitListed(page, [`${NOTES.name} | 1.5 KiB`, `${VIDEO.name} | 9.5 MiB`]);
      const read = await readThroughApi(local.apiUrl, NOTES.name);
      expect([read.status, read.body.equals(bytesOf(NOTES))]).to.deep.equal([200, true]);
      expect(watched.problems).to.deep.equal([]);
    });

    it("explains a request the API's CORS rules refuse", async () => {
      // Another stack's page is an origin this stack's API does not allow.
      const other = await iam();
      const refused = await openPage(
        browser,
        `${other.exampleUrl}?api=${encodeURIComponent(local.apiUrl)}&auth=public`,
      );
      try {
        await refused.page.waitForSelector("#problem:not([hidden])");
        const page = new URL(other.exampleUrl).origin;
        expect(await refused.page.textContent("#problem")).to.equal(
          `Could not list all files. The browser blocked the request (CORS). The API at ${new URL(local.apiUrl).origin} answered, but its CORS rules refuse this GET from ${page}: add ${page} to the deployment's allowed origins (corsOrigins), or check that the request's headers are allowed.`,
        );
      } finally {
        await refused.context.close();
      }
    });
  });

  describe("auth mode jwt with the development issuer", () => {
    let local: LocalStack;
    let watched: WatchedPage;
    let page: Page;

    before(async () => {
      local = await stack("jwt");
      watched = await openPage(browser, local.exampleUrl);
      page = watched.page;
    });
    after(() => watched?.context.close());

    it("asks for a token before it calls the API, and says what is wrong with one it cannot use", async () => {
      await page.waitForSelector("#signin:not([hidden])");
      expect(await page.isHidden("#workspace")).to.equal(true);
      expect(await page.textContent("#signin-prefixes")).to.equal("{sub}/");
      expect(await page.textContent("#dev-token-hint")).to.equal(
        `From the development issuer at ${local.devIssuer?.issuer}, with the scopes read, write, delete, purge, for an hour.`,
      );
      await page.fill("#token", "not-a-token");
      await page.click("#token-form button[type=submit]");
      await page.waitForSelector("#signin-problem:not([hidden])");
      expect(await page.textContent("#signin-problem")).to.equal(
        "That is not a JWT: a token is three base64url parts separated by dots (eyJ….eyJ….…).",
      );

      // Well formed, unexpired, but signed by no key the API trusts.
      const claims = Buffer.from(JSON.stringify({ sub: "mallory", exp: 4_000_000_000 })).toString(
        "base64url",
      );
      await page.fill("#token", `eyJhbGciOiJFUzI1NiJ9.${claims}.c2lnbmF0dXJl`);
      await page.click("#token-form button[type=submit]");
      await page.waitForFunction(
        `document.getElementById("signin-problem").textContent.startsWith("The API asks for a valid token: ")`,
      );
      // One call: the listing the bad token was tried with (the malformed one was never sent).
      expect(watched.requests.filter((r) => r.endsWith(new URL(local.apiUrl).origin))).to.deep.equal([
        `GET ${new URL(local.apiUrl).origin}`,
      ]);
    });

    it("gets a development token, works in the token's own folder, and purges with it", async () => {
      await page.fill("#dev-sub", "alice");
      await page.click("#dev-token");
      await page.waitForSelector("#workspace:not([hidden])");
      await page.waitForSelector("#empty:not([hidden]) >> text=No files yet");
      expect(await page.textContent("#crumbs")).to.equal("Your files");
      expect(await page.textContent("#who")).to.match(/^alice · until .+$/);
      expect(await page.textContent(".uppy-Dashboard-note")).to.equal("Files go to /alice/");

      await dropFiles(page, [NOTES]);
      await uploadAll(page, 1);
      await waitListed(page, [`${NOTES.name} | 1.5 KiB`]);
      const token = local.devIssuer?.mint({ sub: "alice" }).token;
      const read = await readThroughApi(local.apiUrl, `alice/${NOTES.name}`, token);
      expect([read.status, read.body.equals(bytesOf(NOTES))]).to.deep.equal([200, true]);

      await page.click(`tr[data-key="alice/${NOTES.name}"] [data-action=purge]`);
      await page.click("#purge-confirm");
      await page.waitForSelector(
        ".toast >> text=Purged notes ü.txt: 1 version deleted, and the CDN told to forget it.",
      );
      await page.waitForSelector("#empty:not([hidden]) >> text=No files yet");
      expect((await readThroughApi(local.apiUrl, `alice/${NOTES.name}`, token)).status).to.equal(404);

      await page.click("#sign-out");
      await page.waitForSelector("#signin:not([hidden])");
      expect(await page.isHidden("#workspace")).to.equal(true);
      // The one console error is the browser's own line for the refused token's 401.
      expect(watched.problems).to.deep.equal([
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)",
      ]);
    });
  });

  describe("auth mode iam", () => {
    it("says the browser cannot sign the API's requests, and what to use instead, without calling the API", async () => {
      const local = await iam();
      const { page, context, problems, requests } = await openPage(browser, local.exampleUrl);
      try {
        await page.waitForSelector("#notice:not([hidden])");
        expect(await page.textContent("#notice-title")).to.equal(
          "This store needs AWS-signed requests, which a web page cannot make",
        );
        const text = await page.textContent("#notice-body");
        expect(text).to.contain(
          "every request must carry an AWS Signature Version 4 made with an access key's secret",
        );
        expect(text).to.contain(`sfstore ls --iam --api-url ${local.apiUrl}`);
        expect(text).to.contain("Or run the store in auth mode jwt");
        expect(await page.isHidden("#workspace")).to.equal(true);
        expect(await page.isHidden("#signin")).to.equal(true);
        expect(await page.textContent("#auth-mode")).to.equal("iam");
        expect(requests.filter((r) => r.endsWith(new URL(local.apiUrl).origin))).to.deep.equal([]);
        expect(problems).to.deep.equal([]);
      } finally {
        await context.close();
      }
    });
  });
});
