import { createHash } from "node:crypto";
import * as path from "node:path";
import { buildSync } from "esbuild";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const HANDLER_ENTRY = path.join(PROJECT_ROOT, "functions", "index.ts");

export interface FunctionBundle {
  /** The single CommonJS file Lambda loads as `index.js`. */
  readonly code: string;
  /** Base64 SHA-256 of `code`, Lambda's `source_code_hash` form. */
  readonly sha256: string;
}

/**
 * Bundles `functions/` into one file. esbuild's output depends only on the sources and these
 * options (the working directory is pinned, no timestamps, no absolute paths, no source map), so
 * the same source gives the same bytes and `pulumi up` shows no diff when nothing changed.
 */
export function bundleHandler(entry: string = HANDLER_ENTRY): FunctionBundle {
  const result = buildSync({
    entryPoints: [entry],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: "node",
    // The oldest runtime the component allows.
    target: "node22",
    format: "cjs",
    write: false,
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  const code = file.text;
  return { code, sha256: createHash("sha256").update(code).digest("base64") };
}
