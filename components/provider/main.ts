/*
 * The entry point of the Pulumi component package (PulumiPlugin.yaml, `main` in package.json).
 * `pulumi package add` runs this directory as a plugin; Pulumi's Node.js plugin runner
 * (@pulumi/pulumi/cmd/run-plugin) loads `main` and serves every ComponentResource it exports with
 * `componentProviderHost` from @pulumi/pulumi/provider/experimental, named after package.json's
 * `name`. The schema analyzer starts from this file too, so it exports the schema-friendly component
 * only: the TypeScript one, with its tagged unions, is what `import "signed-file-store"` gives.
 */
export { SignedFileStore } from "./component";
