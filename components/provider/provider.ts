import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { SignedFileStoreAccount } from "./account";
import { SignedFileStore } from "./component";
import { SCHEMA_FILE } from "./schema-file";

type ComponentClass = new (
  name: string,
  // The schema-friendly args, as the engine sends them: checked by each component's own resolution.
  // biome-ignore lint/suspicious/noExplicitAny: each class takes its own args type; the inputs are untyped wire data
  args: any,
  opts: pulumi.ComponentResourceOptions,
) => pulumi.ComponentResource;

const COMPONENTS: Readonly<Record<string, ComponentClass>> = {
  SignedFileStore,
  SignedFileStoreAccount,
};

interface Schema {
  readonly name: string;
  readonly version: string;
  readonly resources: Readonly<Record<string, { readonly properties?: Readonly<Record<string, unknown>> }>>;
}

/**
 * The multi-language plugin's provider: the schema made at build time, and Construct as
 * `componentProviderHost` does it (the component built from the inputs, each output of the schema
 * read off the instance). Unlike that host it needs neither the TypeScript compiler nor the sources
 * at run time, so an install with production dependencies only can serve and construct.
 */
export class SignedFileStoreProvider implements provider.Provider {
  readonly version: string;
  private readonly spec: Schema;

  constructor(private readonly schemaText: string = readFileSync(path.join(__dirname, SCHEMA_FILE), "utf8")) {
    this.spec = JSON.parse(schemaText) as Schema;
    this.version = this.spec.version;
  }

  async getSchema(): Promise<string> {
    return this.schemaText;
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    const [pkg, module, className = ""] = type.split(":");
    const component = COMPONENTS[className];
    const resource = this.spec.resources[type];
    if (pkg !== this.spec.name || module !== "index" || component === undefined || resource === undefined) {
      throw new Error(`${this.spec.name} has no component ${type}`);
    }
    const instance = new component(name, inputs, options);
    const outputs = instance as unknown as Record<string, unknown>;
    const state = Object.fromEntries(
      Object.keys(resource.properties ?? {}).map((key) => [key, outputs[key]]),
    );
    return { urn: instance.urn, state };
  }
}
