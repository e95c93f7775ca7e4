import * as path from "node:path";
import { build } from "esbuild";

/** The browser example's entry: its script imports the SDK, the Uppy adapter, Uppy and their CSS. */
export const EXAMPLE_ENTRY = path.join(__dirname, "..", "examples", "browser", "app.ts");

export interface ExampleBundle {
  /** One ES module with every import bundled in. */
  readonly js: string;
  /** The page's own stylesheet after Uppy's (@uppy/core and @uppy/dashboard). */
  readonly css: string;
}

/**
 * Bundles the example page's script and styles in memory, from node_modules and the SDK's sources,
 * so the page loads nothing from the network. ES2020 and `platform: "browser"`, as the SDK's own
 * modules (build-browser.ts); minified, because Uppy's Dashboard and Preact are most of it.
 */
export async function bundleExamplePage(): Promise<ExampleBundle> {
  const result = await build({
    entryPoints: { app: EXAMPLE_ENTRY },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify: true,
    outdir: "/example",
    write: false,
    legalComments: "eof",
    logLevel: "silent",
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"));
  const css = result.outputFiles.find((f) => f.path.endsWith(".css"));
  if (!js || !css) throw new Error("esbuild did not write the example's script and stylesheet");
  return { js: js.text, css: css.text };
}
