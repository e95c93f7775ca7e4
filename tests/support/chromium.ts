import { type Browser, chromium, type Page } from "playwright-core";

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

/** A page that records console errors, page errors and every request's method and origin. */
export async function watchedPage(
  browser: Browser,
): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => requests.push(`${r.method()} ${new URL(r.url()).origin}`));
  return { page, problems, requests };
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
