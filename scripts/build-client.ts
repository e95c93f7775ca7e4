import * as path from "node:path";
import { build } from "esbuild";

const ROOT = path.join(__dirname, "..");

/** The sfstore package's modules: the library, and the CLI its bin runs. */
export const CLIENT_ENTRIES = {
  index: path.join(ROOT, "client", "index.ts"),
  cli: path.join(ROOT, "client", "cli", "main.ts"),
} as const;

/**
 * Bundles the Node client and the CLI, each into one CommonJS file with the AWS credential chain,
 * the SigV4 signer and cli-progress inside. Installed as packages, those bring about 16 MB on disk
 * (the AWS SDK's and Smithy's packages each ship three builds and their declarations, of which the
 * client runs about 1 MB), so sfstore installs with @smithy/types alone, for the type its
 * declarations name for an AWS credential provider.
 */
export async function writeClientModules(outDir: string): Promise<string[]> {
  const result = await build({
    entryPoints: CLIENT_ENTRIES,
    outdir: outDir,
    bundle: true,
    format: "cjs",
    platform: "node",
    // The oldest Node.js the package allows (package.json's engines).
    target: "node20",
    // Not minified, so a stack trace a user reports names the functions and lines of the sources.
    minify: false,
    // Bundling renames a class whose name another module uses too; the CLI prints error names.
    keepNames: true,
    legalComments: "inline",
    logLevel: "silent",
    write: true,
  });
  if (result.errors.length > 0) throw new Error(result.errors.map((e) => e.text).join("\n"));
  return Object.keys(CLIENT_ENTRIES).map((name) => path.join(outDir, `${name}.js`));
}

if (require.main === module) {
  writeClientModules(path.resolve(process.argv[2] ?? path.join(ROOT, "packages", "client", "dist"))).then(
    (files) => process.stdout.write(`${files.join("\n")}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
