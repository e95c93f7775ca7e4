/*
 * The multi-language plugin's entry (PulumiPlugin.yaml, `main` in package.json, compiled to
 * dist/components/provider/plugin.js). Pulumi's Node.js plugin runner
 * (@pulumi/pulumi/cmd/run-plugin) requires `main` and, as it exports no component class, calls the
 * function it exports: that serves the provider over gRPC and prints its port, as
 * `componentProviderHost` would. Compiled JavaScript with a schema made at build time, so the
 * runner loads it without ts-node, the TypeScript compiler or the sources.
 */
import * as provider from "@pulumi/pulumi/provider";
import { SignedFileStoreProvider } from "./provider";

export = function serve(): Promise<void> {
  return provider.main(new SignedFileStoreProvider(), process.argv.slice(2));
};
