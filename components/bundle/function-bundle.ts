import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type * as esbuild from "esbuild";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const HANDLER_ENTRY = path.join(PROJECT_ROOT, "functions", "index.ts");
/**
 * The function's files as `npm run build` writes them. An installed package has its compiled
 * component under `dist/components/bundle/`, so its root is three levels up from here rather than two.
 */
export const PREBUILT_DIR = existsSync(path.join(PROJECT_ROOT, "package.json"))
  ? path.join(PROJECT_ROOT, "dist", "function")
  : path.join(PROJECT_ROOT, "..", "dist", "function");
/** The file Lambda loads for the handler setting `index.handler`: a CommonJS module. */
export const ENTRY_FILE = "index.js";

export interface FunctionBundle {
  /** Every file of the function's zip, by its path in the zip: the entry and its chunks. */
  readonly files: Readonly<Record<string, string>>;
  /** The entry's path in the zip, `index.js`. */
  readonly entry: string;
  /** The entry's text: what Lambda loads at start, before any chunk a dynamic import brings in. */
  readonly code: string;
  /** Base64 SHA-256 over every file's name and contents, in name order, for `sourceCodeHash`. */
  readonly sha256: string;
}

/**
 * Packages the function loads only on first use, each built as a file of its own next to the entry.
 * A separate build, rather than esbuild's code splitting, because splitting puts modules used on
 * both sides into chunks the entry loads at every cold start.
 *
 * - The S3 client is an ES module (`client-s3.mjs`) read by `import()`, split at its own dynamic
 *   imports (the SDK's credential providers) so that a call reads only what it needs: a fresh
 *   process that loads it and builds a client measured about 2.9x a bare `node` that way, 3.4x as
 *   one CommonJS file.
 * - jose is one CommonJS file (`jose.js`) read by `require`: only jwt mode verifies tokens, and on
 *   its first request an `import()` would start Node's ES module loader as well (about 1.5x a bare
 *   `node` for the import against 1.2x for the require).
 */
export const LAZY_PACKAGES: Readonly<
  Record<string, { readonly file: string; readonly format: "esm" | "cjs" }>
> = {
  "@aws-sdk/client-s3": { file: "client-s3.mjs", format: "esm" },
  jose: { file: "jose.js", format: "cjs" },
};

/**
 * Bundles `functions/` as one small CommonJS file, `index.js`, and, per lazily loaded package, a
 * file read only on first use, so the S3 client is loaded on the first request that calls S3 rather
 * than on every cold start. `mainFields` prefers the packages' ES module builds (the
 * AWS SDK's `dist-es`), which esbuild can tree-shake where their CommonJS builds cannot be.
 *
 * The entry is CommonJS because a fresh process reaches its first answer sooner that way: importing
 * an ES module starts Node's ES module loader and wraps every built-in it imports (node:crypto,
 * node:http) in a module facade, which `npm run bench` measures at about a fifth of a bare `node`'s
 * start, while `require` takes the built-ins as they are. Lambda treats a `.js` file as CommonJS and
 * an `.mjs` file as an ES module, and a function may mix the two ("Building Lambda functions with
 * Node.js", "Designating a function handler as an ES module"); the handler setting `index.handler`
 * is the file name without its extension and the exported function ("Define Lambda function handler
 * in Node.js", "Handler naming conventions").
 *
 * esbuild's output depends only on the sources and these options (the working directory is pinned,
 * chunk names are hashes of their contents, no timestamps, no absolute paths, no source map), so the
 * same source gives the same bytes and `pulumi up` shows no diff when nothing changed.
 */
export function bundleHandler(entry: string = HANDLER_ENTRY): FunctionBundle {
  if (entry === HANDLER_ENTRY && !existsSync(HANDLER_ENTRY)) return readPrebuiltBundle();
  const files: Record<string, string> = { ...build({ index: entry }, "cjs", true) };
  for (const [pkg, { file, format }] of Object.entries(LAZY_PACKAGES)) {
    Object.assign(files, build({ [file.replace(/\.m?js$/, "")]: pkg }, format, false));
  }
  const code = files[ENTRY_FILE];
  if (code === undefined) throw new Error(`esbuild produced no ${ENTRY_FILE} for ${entry}`);
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { files: sorted, entry: ENTRY_FILE, code, sha256: bundleHash(sorted) };
}

/**
 * The npm package ships the bundle its build made (`dist/function/`) rather than the handler's
 * sources: a program that installs the package deploys the very bytes that were tested and hashed
 * here, whatever versions of the AWS SDK and jose its own lockfile resolves, and needs no
 * TypeScript sources or esbuild run at deploy time.
 */
export function readPrebuiltBundle(dir: string = PREBUILT_DIR): FunctionBundle {
  if (!existsSync(path.join(dir, ENTRY_FILE))) {
    throw new Error(`neither ${HANDLER_ENTRY} nor a built ${path.join(dir, ENTRY_FILE)}: run npm run build`);
  }
  const names = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
  const files = Object.fromEntries(names.map((name) => [name, readFileSync(path.join(dir, name), "utf8")]));
  const code = files[ENTRY_FILE] ?? "";
  return { files, entry: ENTRY_FILE, code, sha256: bundleHash(files) };
}

function build(
  entryPoints: Record<string, string>,
  format: "cjs" | "esm",
  isEntry: boolean,
): Record<string, string> {
  // In the entry, `import("@aws-sdk/client-s3")` becomes `import("./client-s3.mjs")` and
  // `require("jose")` becomes `require("./jose.js")`, the files built beside it; esbuild keeps an
  // external `import()` or `require` as it is, where it is, in CommonJS output.
  const options = isEntry
    ? {
        alias: Object.fromEntries(Object.entries(LAZY_PACKAGES).map(([pkg, { file }]) => [pkg, `./${file}`])),
        external: Object.values(LAZY_PACKAGES).map(({ file }) => `./${file}`),
      }
    : format === "esm"
      ? {
          splitting: true,
          outExtension: { ".js": ".mjs" },
          chunkNames: `${Object.keys(entryPoints)[0]}-[hash]`,
        }
      : {};
  const outdir = path.join(PROJECT_ROOT, "dist", "function");
  // Loaded here rather than imported: esbuild is a devDependency, and a program that installs the
  // package deploys the pre-built bundle without ever building one.
  const { buildSync } = require("esbuild") as typeof esbuild;
  const result = buildSync({
    entryPoints,
    absWorkingDir: PROJECT_ROOT,
    outdir,
    bundle: true,
    format,
    platform: "node",
    mainFields: ["module", "main"],
    // The oldest runtime the component allows.
    target: "node22",
    write: false,
    minify: true,
    // HttpError subclasses and the SDK's exceptions are told apart by their class names.
    keepNames: true,
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
    ...options,
  });
  const files: Record<string, string> = {};
  for (const file of result.outputFiles) {
    files[path.relative(outdir, file.path).split(path.sep).join("/")] = file.text;
  }
  return files;
}

/** Name and length prefix each file, so moving bytes from one file to another changes the hash. */
export function bundleHash(files: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(files).sort()) {
    const bytes = Buffer.from(files[name] ?? "", "utf8");
    hash.update(`${name}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest("base64");
}
