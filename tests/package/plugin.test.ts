import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { GetSchemaRequest } from "@pulumi/pulumi/proto/provider_pb";
import { expect } from "chai";
import { PROJECT_ROOT } from "../../components/bundle/function-bundle";
import { DESCRIPTION, INPUTS, OUTPUTS, TYPES } from "../components/provider/schema.expected";

// The gRPC library the Pulumi SDK itself serves with, whichever copy it resolved.
const { credentials } = createRequire(require.resolve("@pulumi/pulumi"))("@grpc/grpc-js") as typeof grpc;
const RUN_PLUGIN = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");

/** Starts the plugin as the Node.js language host does for `pulumi package add`; resolves its port. */
function startPlugin(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once("exit", (code) => reject(new Error(`the plugin exited ${code} before serving:\n${stderr}`)));
  });
}

describe("component package plugin", function () {
  // The plugin compiles the component with type checks (ts-node) before it serves.
  this.timeout(240_000);
  let child: ChildProcess | undefined;

  after(() => {
    child?.kill();
  });

  it("runs from the checkout as Pulumi runs it and serves the component's schema over gRPC", async () => {
    child = spawn(process.execPath, [RUN_PLUGIN, PROJECT_ROOT], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await startPlugin(child);
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const schema = await new Promise<string>((resolve, reject) =>
      client.getSchema(new GetSchemaRequest(), (error, response) =>
        error ? reject(error) : resolve(response.getSchema()),
      ),
    );
    client.close();
    const parsed = JSON.parse(schema) as {
      name: string;
      resources: Record<string, Record<string, unknown>>;
      types: unknown;
    };
    expect(parsed.name).to.equal("signed-file-store");
    expect(Object.keys(parsed.resources).sort()).to.deep.equal([
      "signed-file-store:index:SignedFileStore",
      "signed-file-store:index:SignedFileStoreAccount",
    ]);
    const component = parsed.resources["signed-file-store:index:SignedFileStore"] ?? {};
    expect(component.inputProperties).to.deep.equal(INPUTS);
    expect(component.properties).to.deep.equal(OUTPUTS);
    expect(component.description).to.equal(DESCRIPTION);
    expect(parsed.types).to.deep.equal(TYPES);
  });
});
