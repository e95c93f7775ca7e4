import { createServer } from "node:http";
import { type Browser, chromium, type Page } from "playwright-core";
import { closeServer, listen } from "../../local/http/listen";

/** Debian's chromium; playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Chromium saves a download under a name it can write in the locale's encoding: in the C locale
 * (a bare `env -i` shell, some CI runners) `clip ü.bin` becomes `download`. The page's names are
 * Unicode, so the browser gets a UTF-8 locale when the environment names none.
 */
function utf8Environment(): Record<string, string | undefined> {
  const { LC_ALL, LC_CTYPE, LANG } = process.env;
  return /utf-?8/i.test(LC_ALL || LC_CTYPE || LANG || "")
    ? process.env
    : { ...process.env, LC_ALL: "C.UTF-8" };
}

/** Headless, and nothing that reaches the network on its own (updates, safe browsing, metrics). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    env: utf8Environment(),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Records a page's console errors, page errors and every request's method and origin. */
export function watch(page: Page): { problems: string[]; requests: string[] } {
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).origin}`));
  return { problems, requests };
}

/** A new page, watched. */
export async function watchedPage(
  browser: Browser,
): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage();
  return { page, ...watch(page) };
}

/**
 * Runs `body` (JavaScript source of an async function taking `arg`) in the page and returns its
 * result. Source text, so that the tests need no DOM types; the function sees the SDK as `sdk`.
 */
export async function inPage<T>(page: Page, body: string, arg: unknown = null): Promise<T> {
  return (await page.evaluate(
    `(async () => { const sdk = await import("/signed-file-store.mjs"); return (${body})(sdk, ${JSON.stringify(arg)}); })()`,
  )) as T;
}

/** xorshift32: the same bytes in Node and in a page (PAGE_BYTES), so both sides know a file's bytes. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
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

/** The page's copy of pseudoRandomBytes, as a function's source: `(length, seed) => Uint8Array`. */
export const PAGE_BYTES = `(length, seed) => {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}`;

/** A File of PAGE_BYTES with a fixed name and date, as a function's source: `(length, seed, name) => File`. */
export const PAGE_FILE = `(length, seed, name) =>
  new File([(${PAGE_BYTES})(length, seed)], name, { type: "application/octet-stream", lastModified: 1700000000000 })`;

/**
 * A site of its own on 127.0.0.1: an empty page at `/` and `files` (path to JavaScript source), on
 * an origin apart from the stack's, so every call the page makes to the API is cross-origin.
 */
export async function startSite(
  files: Readonly<Record<string, string>>,
): Promise<{ url: string; close(): Promise<void> }> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>site</title><link rel="icon" href="data:,"><script type="module" src="/app.js"></script>';
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const body = path === "/" ? html : files[path];
    if (body === undefined) return void res.writeHead(404).end();
    const type = path === "/" ? "text/html" : "text/javascript";
    res.writeHead(200, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-store" }).end(body);
  });
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}
