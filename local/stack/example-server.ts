import { promises as fs } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import * as path from "node:path";
import { type BrowserModuleName, bundleBrowserModule } from "../../scripts/build-browser";
import { bundleExamplePage, type ExampleBundle } from "../../scripts/build-example";
import { closeServer, listen } from "../http/listen";

/** The browser example, served from its own origin so that every call it makes is cross-origin, as in production. */
const PAGE_DIR = path.join(__dirname, "..", "..", "examples", "browser");
const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const JSON_TYPE = "application/json";

/**
 * What the page needs to know of the stack it runs against, served as `/config.json`: the page has
 * no other way to learn the auth mode, the development issuer or the read-URL limit (the API does
 * not announce them). A page opened elsewhere falls back to its query string (`?api=`, `?auth=`).
 */
export interface ExamplePageConfig {
  readonly apiUrl: string;
  readonly auth: "public" | "jwt" | "iam";
  /** jwt: the prefixes a token may read, as templates of its claims (`{sub}/`). */
  readonly readPrefixes?: readonly string[];
  /** jwt with the development issuer: its base URL, where `POST /token` mints a token. */
  readonly issuerUrl?: string;
  /** The longest share link the API signs (`?expires=`). */
  readonly maxReadExpirySeconds: number;
}

export interface RunningExamplePage {
  readonly url: string;
  /** Tells the page about the stack, once the stack knows (the page's origin is needed first, for CORS). */
  configure(config: ExamplePageConfig): void;
  close(): Promise<void>;
}

/**
 * The page's bundle, once per process: building Uppy's Dashboard takes esbuild a moment, and a test
 * process starts many stacks.
 */
let bundled: Promise<ExampleBundle> | undefined;

export async function startExamplePage(options: {
  readonly port?: number;
  readonly log?: (fields: Record<string, unknown>) => void;
}): Promise<RunningExamplePage> {
  bundled ??= bundleExamplePage();
  bundled.catch(() => {
    bundled = undefined;
  });
  // The page and the SDK module are built from source when the server starts, so the page never
  // runs a stale build, and a page that does not build stops the stack at once.
  const page = await bundled;
  const html = await fs.readFile(path.join(PAGE_DIR, "index.html"));
  const files = new Map<string, { type: string; body: Buffer }>([
    ["/", { type: HTML, body: html }],
    ["/index.html", { type: HTML, body: html }],
    ["/app.js", { type: JS, body: Buffer.from(page.js) }],
    ["/app.css", { type: CSS, body: Buffer.from(page.css) }],
  ]);
  // The SDK as the one bundled module a site would serve, which pages of the tests import.
  for (const name of ["signed-file-store.mjs"] satisfies BrowserModuleName[]) {
    files.set(`/${name}`, { type: JS, body: Buffer.from(await bundleBrowserModule(name)) });
  }
  let config: ExamplePageConfig | undefined;

  const server = createServer((req, res) => {
    const pathname = pathOf(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain", Buffer.from("the example page serves GET and HEAD"), req.method);
      return;
    }
    if (pathname === "/config.json") {
      if (!config) {
        const body = { error: { code: "Starting", message: "the local stack is still starting" } };
        send(res, 503, JSON_TYPE, Buffer.from(JSON.stringify(body)), req.method, { "retry-after": "1" });
        return;
      }
      send(res, 200, JSON_TYPE, Buffer.from(JSON.stringify(config)), req.method);
      return;
    }
    const file = files.get(pathname);
    if (!file) {
      options.log?.({ component: "example", level: "info", message: "not found", path: pathname });
      send(res, 404, "text/plain", Buffer.from("not found"), req.method);
      return;
    }
    send(res, 200, file.type, file.body, req.method);
  });
  const url = await listen(server, options.port);
  return {
    url,
    configure: (given) => {
      config = given;
    },
    close: () => closeServer(server),
  };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer,
  method: string | undefined,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": body.length,
    "cache-control": "no-store",
    ...headers,
  });
  res.end(method === "HEAD" ? undefined : body);
}

/** The request's path; a target that is no path (`//x` is a scheme-relative URL, `*`) serves nothing. */
function pathOf(target: string | undefined): string {
  try {
    return new URL(`http://127.0.0.1${target ?? "/"}`).pathname;
  } catch {
    return "";
  }
}
