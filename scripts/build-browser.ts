import { mkdir, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { build } from "esbuild";

/** The browser modules, each bundled into one ES module file with no imports left. */
export const BROWSER_ENTRIES = {
  "signed-file-store.mjs": path.join(__dirname, "..", "browser", "index.ts"),
  "signed-file-store-uppy.mjs": path.join(__dirname, "..", "browser", "uppy.ts"),
} as const;

export type BrowserModuleName = keyof typeof BROWSER_ENTRIES;

/**
 * Bundles one entry in memory. ES2020 is what every browser with ES modules and ReadableStream
 * runs; no `platform: "node"`, so a Node built-in imported by mistake fails the build.
 */
export async function bundleBrowserModule(name: BrowserModuleName): Promise<string> {
  const result = await build({
    entryPoints: [BROWSER_ENTRIES[name]],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    write: false,
    legalComments: "inline",
    logLevel: "silent",
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error(`esbuild wrote nothing for ${name}`);
  return file.text;
}

/** Writes every browser module under `outDir`: the browser package's dist/ unless told. */
export async function writeBrowserModules(
  outDir = path.join(__dirname, "..", "packages", "browser", "dist"),
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const name of Object.keys(BROWSER_ENTRIES) as BrowserModuleName[]) {
    const file = path.join(outDir, name);
    await writeFile(file, await bundleBrowserModule(name));
    written.push(file);
  }
  return written;
}

if (require.main === module) {
  // The browser package's build names its own dist/, relative to the directory npm runs it in.
  writeBrowserModules(process.argv[2] === undefined ? undefined : path.resolve(process.argv[2])).then(
    (files) => process.stdout.write(`${files.join("\n")}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
