/*
 * The entry point of the Pulumi component package (PulumiPlugin.yaml, `main` in package.json).
 * `pulumi package add` runs this directory as a plugin; Pulumi's Node.js plugin runner
 * (@pulumi/pulumi/cmd/run-plugin) loads `main` and serves every ComponentResource it exports with
 * `componentProviderHost` from @pulumi/pulumi/provider/experimental, named after package.json's
 * `name`. The schema analyzer starts from this file too, so it exports the schema-friendly
 * components only: the TypeScript ones, with their tagged unions, are what `import "signed-file-store"`
 * gives. The store comes first: the analyzer defines a type the first time it meets it, and the
 * store's `shared` input decides which of SharedSigning's fields are plain.
 */

export { SignedFileStoreAccount } from "./account";
export { SignedFileStore } from "./component";
