import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";
import { generateSchema } from "@pulumi/pulumi/provider/experimental/schema";
import { PROJECT_ROOT } from "../bundle/function-bundle";

/** The components the plugin serves, by the class names the analyzer looks for. */
export const COMPONENT_NAMES = ["SignedFileStore", "SignedFileStoreAccount"] as const;

/** Where the analyzer starts: the file that exports the schema-friendly components only. */
export const SCHEMA_ENTRY = "components/provider/main.ts";

/**
 * Packages whose types no input or output of the components uses, read as `any` by the analysis:
 * @pulumi/aws's declarations are most of what it would otherwise parse.
 */
const UNTYPED = ["@pulumi/aws", "@pulumi/tls", "esbuild", "@aws-sdk/client-s3"];

interface PackageFacts {
  readonly name: string;
  readonly version: string;
  readonly description: string;
}

/**
 * The package's schema, made from the TypeScript sources by the analyzer that Pulumi's
 * `componentProviderHost` runs at start (@pulumi/pulumi/provider/experimental). It needs the
 * TypeScript compiler and the sources, which a production install has neither of, so `npm run
 * build` runs it once and the package ships the result (schema.json beside the compiled provider).
 *
 * The analyzer reads `tsconfig.json` in the directory it is given and builds a program of every
 * file that names; the project's names the tests too. So it gets a directory of its own whose
 * tsconfig extends the project's, names SCHEMA_ENTRY alone (its imports bring in the rest) and
 * reads the UNTYPED packages as `any`.
 */
export function analyzeSchema(root: string = PROJECT_ROOT): string {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as PackageFacts;
  const entry = path.join(root, SCHEMA_ENTRY);
  const dir = mkdtempSync(path.join(tmpdir(), "signed-file-store-schema-"));
  try {
    writeFileSync(path.join(dir, "any-module.d.ts"), "declare const anything: any;\nexport = anything;\n");
    const paths = Object.fromEntries(
      UNTYPED.flatMap((pkg) => [pkg, `${pkg}/*`]).map((spec) => [spec, ["./any-module.d.ts"]]),
    );
    const tsconfig = {
      extends: path.join(root, "tsconfig.json"),
      compilerOptions: { types: ["node"], paths },
      files: [entry],
    };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    const analyzer = new Analyzer(
      dir,
      manifest.name,
      { name: manifest.name, version: manifest.version, description: manifest.description, main: entry },
      new Set(COMPONENT_NAMES),
    );
    const { components, typeDefinitions, dependencies } = analyzer.analyze();
    const schema = generateSchema(
      manifest.name,
      manifest.version,
      manifest.description,
      components,
      typeDefinitions,
      dependencies,
    );
    return JSON.stringify(schema);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
