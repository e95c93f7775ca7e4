import { promises as fs } from "node:fs";
import { createServer } from "node:http";
import * as path from "node:path";
import { type BrowserModuleName, bundleBrowserModule } from "../../scripts/build-browser";
import { closeServer, listen } from "../http/listen";

/** The browser example, served from its own origin so that every call it makes is cross-origin, as in production. */
const PAGE_DIR = path.join(__dirname, "..", "..", "examples", "browser");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

export interface RunningExamplePage {
  readonly url: string;
  close(): Promise<void>;
}

export async function startExamplePage(options: {
  readonly port?: number;
  readonly log?: (fields: Record<string, unknown>) => void;
}): Promise<RunningExamplePage> {
  const files = new Map<string, string>();
  for (const name of await fs.readdir(PAGE_DIR)) files.set(`/${name}`, name);
  // The page imports the browser SDK as the one bundled module a site would serve; it is built from
  // source when the server starts, so the page never runs a stale build.
  const modules = new Map<string, Buffer>();
  for (const name of ["signed-file-store.mjs"] satisfies BrowserModuleName[]) {
    modules.set(`/${name}`, Buffer.from(await bundleBrowserModule(name)));
  }
  const server = createServer((req, res) => {
    const pathname = pathOf(req.url);
    const name = files.get(pathname === "/" ? "/index.html" : pathname);
    const bundled = modules.get(pathname);
    if ((!name && !bundled) || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    (bundled ? Promise.resolve(bundled) : fs.readFile(path.join(PAGE_DIR, name ?? ""))).then(
      (body) => {
        res.writeHead(200, {
          "content-type": TYPES[path.extname(name ?? pathname)] ?? "application/octet-stream",
          "content-length": body.length,
          "cache-control": "no-store",
        });
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (error: unknown) => {
        options.log?.({ component: "example", level: "error", message: "read failed", error: String(error) });
        res.writeHead(500).end();
      },
    );
  });
  const url = await listen(server, options.port);
  return { url, close: () => closeServer(server) };
}

/** The request's path; a target that is no path (`//x` is a scheme-relative URL, `*`) serves nothing. */
function pathOf(target: string | undefined): string {
  try {
    return new URL(`http://127.0.0.1${target ?? "/"}`).pathname;
  } catch {
    return "";
  }
}
