/**
 * Drives the example page in Chromium: the Dashboard's file input and drop zone, the file list's
 * rows, and the API as a second opinion on what the page says it stored.
 */
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { PAGE_FILE, pseudoRandomBytes, watch } from "../support/chromium";

export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions, in order. */
  readonly problems: string[];
  /** Every request's method and origin. */
  readonly requests: string[];
}

/** A page in a context of its own (its own storage), allowed the clipboard as a user's click would be. */
export async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  const { problems, requests } = watch(page);
  await page.goto(url);
  return { context, page, problems, requests };
}

/** A file the page and the test both know the bytes of (PAGE_FILE's xorshift, seeded). */
export interface TestFile {
  readonly name: string;
  readonly size: number;
  readonly seed: number;
}

export const bytesOf = (file: TestFile) => Buffer.from(pseudoRandomBytes(file.size, file.seed));

/** Adds files through the Dashboard's own file input, as "browse files" does. */
export async function chooseFiles(page: Page, files: readonly TestFile[]): Promise<void> {
  await page.setInputFiles(
    ".uppy-Dashboard-input[name='files[]']:not([webkitdirectory])",
    files.map((f) => ({ name: f.name, mimeType: "application/octet-stream", buffer: bytesOf(f) })),
  );
}

/** Drops files on the Dashboard, as a drag from the desktop does: a DataTransfer holding Files. */
export async function dropFiles(page: Page, files: readonly TestFile[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    `(() => {
      const transfer = new DataTransfer();
      for (const f of ${JSON.stringify(files)}) transfer.items.add((${PAGE_FILE})(f.size, f.seed, f.name));
      return transfer;
    })()`,
  );
  await page.dispatchEvent(".uppy-Dashboard-inner", "dragover", { dataTransfer });
  await page.dispatchEvent(".uppy-Dashboard-inner", "drop", { dataTransfer });
}

/** The Dashboard's item for a file. */
export const dashboardItem = (page: Page, name: string) =>
  page.locator(".uppy-Dashboard-Item", { has: page.locator(`.uppy-Dashboard-Item-name[title="${name}"]`) });

/** Starts the upload of the files added, then waits until every one is complete and the bar at 100%. */
export async function uploadAll(page: Page, count: number): Promise<void> {
  await page.click(".uppy-StatusBar-actionBtn--upload");
  await waitUploaded(page, count);
}

export async function waitUploaded(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    `document.querySelectorAll(".uppy-Dashboard-Item.is-complete").length === ${count}`,
    undefined,
    { timeout: 60_000 },
  );
  await page.waitForSelector(".uppy-StatusBar.is-complete .uppy-StatusBar-progress[aria-valuenow='100']");
}

/** Waits until the list shows exactly these rows. */
export async function waitListed(page: Page, rows: readonly string[]): Promise<void> {
  await page.waitForFunction(
    `JSON.stringify(Array.from(document.querySelectorAll("#entries tr"), (row) =>
      row.querySelector(".name").textContent + " | " + row.querySelector(".size").textContent)) === ${JSON.stringify(JSON.stringify(rows))}`,
    undefined,
    { timeout: 30_000 },
  );
}

/**
 * Holds the first storage PUT of a part until released, so a test can pause an upload while it
 * is surely running. The held request is failed on release: the page aborted it when it paused.
 */
export async function holdPart(page: Page, storageOrigin: string, partNumber: number) {
  let held: Route | undefined;
  let resolveHeld: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    resolveHeld = resolve;
  });
  await page.route(
    (url) => url.origin === storageOrigin && url.searchParams.get("partNumber") === String(partNumber),
    async (route) => {
      if (held || route.request().method() !== "PUT") return route.continue();
      held = route;
      resolveHeld();
    },
  );
  return {
    reached,
    release: async () => {
      await held?.abort().catch(() => undefined);
    },
  };
}

/** Reads a key through the API as curl -L does; the status and the bytes. */
export async function readThroughApi(
  apiUrl: string,
  key: string,
  token?: string,
): Promise<{ status: number; body: Buffer }> {
  const path = key.split("/").map(encodeURIComponent).join("/");
  const res = await fetch(`${apiUrl}/${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** What the API keeps of a key: the JSON read's `object` (its checksum among it). */
export async function objectThroughApi(apiUrl: string, key: string): Promise<Record<string, unknown>> {
  const path = key.split("/").map(encodeURIComponent).join("/");
  const res = await fetch(`${apiUrl}/${path}`, { headers: { accept: "application/json" } });
  if (res.status !== 200) throw new Error(`GET ${key} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { object: Record<string, unknown> }).object;
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!png.subarray(0, 8).equals(signature) || png.toString("latin1", 12, 16) !== "IHDR") {
    throw new Error("not a PNG");
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
