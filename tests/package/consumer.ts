/**
 * The mocks the programs below run the component under (each declares `registered` first): every
 * resource gets an ID, an ARN and, for the function URL, a URL. Plain JavaScript, which the
 * TypeScript consumer type-checks as it is.
 */
const MOCK_SETUP = `const API_URL = "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/";
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, inputs: args.inputs });
      const url = args.type === "aws:lambda/functionUrl:FunctionUrl" ? { functionUrl: API_URL } : {};
      return { id: args.name + "-id", state: { ...args.inputs, arn: "arn:aws:test:::" + args.name, ...url } };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: "111122223333", arn: "arn:aws:iam::111122223333:user/deployer", userId: "AIDA" };
        case "aws:index/getRegion:getRegion":
          return { region: "eu-west-1", name: "eu-west-1" };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        default:
          throw new Error("unmocked call " + args.token);
      }
    },
  },
  "consumer",
  "test",
  false,
);
// The component registers its children over several turns: done once 20 turns of 5 ms add none.
async function registrationsSettled() {
  let quiet = 0;
  let last = -1;
  while (quiet < 20) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    quiet = registered.length === last ? quiet + 1 : 0;
    last = registered.length;
  }
}`;

/**
 * The program a fresh project writes against the installed packages, as text: the pack test writes it
 * to `consumer.mts` there, type-checks it with the project's TypeScript and runs what it compiles to.
 * It uses every entry of every package, and the component under mocks, where the function's code can
 * only come from the bundle built into the package (an installed package has no handler sources).
 */
export const CONSUMER_SOURCE = `import * as pulumi from "@pulumi/pulumi";
import { SignedFileStore, type SignedFileStoreArgs } from "signed-file-store";
import { InvalidKeyError, regionFromFunctionUrl, SignedFileStoreClient } from "sfstore";
import type AwsS3 from "@uppy/aws-s3";
import type Uppy from "@uppy/core";
import { SignedFileStore as BrowserStore, encodeKey } from "signed-file-store-browser";
import { signedFileStore } from "signed-file-store-browser/uppy";

interface Registered {
  readonly type: string;
  readonly inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
${MOCK_SETUP}

const args: SignedFileStoreArgs = { auth: { mode: "public" }, expirySeconds: 120 };
const store = new SignedFileStore("files", args);
const apiUrl = await new Promise<string>((resolve) => store.apiUrl.apply(resolve));
await registrationsSettled();
const count = (type: string): number => registered.filter((r) => r.type === type).length;
const lambda = registered.find((r) => r.type === "aws:lambda/function:Function");

const client = new SignedFileStoreClient({ apiUrl: "http://127.0.0.1:9/" });
const refused = await client.stat("a/../b").then(
  () => "accepted",
  (error: unknown) => (error instanceof InvalidKeyError ? "InvalidKeyError" : String(error)),
);

const browser = new BrowserStore({ apiUrl: "https://files.example.com/" });
// The one line of Uppy config, type-checked against the real @uppy/core and @uppy/aws-s3; Uppy
// itself runs in a browser, so only the adapter's options are built here.
export function withStore(uppy: Uppy, plugin: typeof AwsS3): Uppy {
  return uppy.use(plugin, signedFileStore({ apiUrl: "https://files.example.com/" }));
}
const uppyOptions = signedFileStore({ apiUrl: "https://files.example.com/", prefix: "uploads/" });

process.stdout.write(
  \`\${JSON.stringify({
    component: {
      apiUrl,
      components: count("signed-file-store:index:SignedFileStore"),
      functions: count("aws:lambda/function:Function"),
      buckets: count("aws:s3/bucket:Bucket"),
      distributions: count("aws:cloudfront/distribution:Distribution"),
      sourceCodeHash: lambda?.inputs.sourceCodeHash,
    },
    client: { region: regionFromFunctionUrl("https://abc.lambda-url.eu-west-1.on.aws/"), refused },
    browser: { store: browser instanceof BrowserStore, key: encodeKey("photos/a b+c%.png") },
    uppy: Object.entries(uppyOptions).map(([name, value]) => \`\${name}: \${typeof value}\`).sort(),
  })}\\n\`,
);
`;

/** What the consumer prints, but for the hash, which the test reads from the built bundle. */
export const CONSUMER_OUTPUT = {
  component: {
    apiUrl: "https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/",
    components: 1,
    functions: 1,
    buckets: 1,
    distributions: 1,
  },
  client: { region: "eu-west-1", refused: "InvalidKeyError" },
  browser: { store: true, key: "photos/a%20b%2Bc%25.png" },
  uppy: [
    "generateObjectKey: function",
    "getChunkSize: function",
    "shouldUseMultipart: function",
    "signRequest: function",
  ],
} as const;

export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["ES2022", "DOM"],
    types: ["node"],
    strict: true,
    // The packages' own declarations are checked apart, import by import (the pack test): checking
    // every declaration file here would check all of @pulumi/aws's, half a minute of the test.
    skipLibCheck: true,
    outDir: "out",
  },
  files: ["consumer.mts"],
};

/**
 * Construct as the plugin answers it, in a project that installed the component package with
 * production dependencies and its peers only: the plugin's provider, loaded from the installed
 * package's compiled files as Pulumi's plugin runner loads them, builds the store from the inputs
 * another language would send and answers its state. Written as `construct.cjs`, run with node.
 */
export const PLUGIN_CONSTRUCT_SOURCE = `const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const registered = [];
${MOCK_SETUP}
const provider = path.join(__dirname, "node_modules", "signed-file-store", "dist", "components", "provider", "provider.js");
const { SignedFileStoreProvider } = require(provider);

(async () => {
  const plugin = new SignedFileStoreProvider();
  const result = await plugin.construct(
    "files",
    "signed-file-store:index:SignedFileStore",
    { auth: { mode: "public" }, expirySeconds: 120 },
    {},
  );
  const apiUrl = await new Promise((resolve) => result.state.apiUrl.apply(resolve));
  const urn = await new Promise((resolve) => result.urn.apply(resolve));
  await registrationsSettled();
  const count = (type) => registered.filter((r) => r.type === type).length;
  const lambda = registered.find((r) => r.type === "aws:lambda/function:Function");
  process.stdout.write(JSON.stringify({
    urn,
    apiUrl,
    outputs: Object.keys(result.state).sort(),
    components: count("signed-file-store:index:SignedFileStore"),
    functions: count("aws:lambda/function:Function"),
    buckets: count("aws:s3/bucket:Bucket"),
    sourceCodeHash: lambda && lambda.inputs.sourceCodeHash,
  }) + "\\n");
})().catch((error) => {
  process.stderr.write(String(error && error.stack) + "\\n");
  process.exitCode = 1;
});
`;

/** The Node client in a project that installed sfstore alone: written as `client.cjs`, run with node. */
export const CLIENT_SOURCE = `const { InvalidKeyError, regionFromFunctionUrl, SignedFileStoreClient } = require("sfstore");

const client = new SignedFileStoreClient({ apiUrl: "http://127.0.0.1:9/" });
client.stat("a/../b").then(
  () => process.stdout.write("accepted\\n"),
  (error) => {
    const refused = error instanceof InvalidKeyError ? "InvalidKeyError" : String(error);
    const region = regionFromFunctionUrl("https://abc.lambda-url.eu-west-1.on.aws/");
    process.stdout.write(JSON.stringify({ refused, region }) + "\\n");
  },
);
`;

/** Both browser modules, loaded in a project that installed the browser package alone. */
export const BROWSER_SOURCE = `const { SignedFileStore, encodeKey } = await import("signed-file-store-browser");
const { signedFileStore } = await import("signed-file-store-browser/uppy");
const options = signedFileStore({ apiUrl: "https://files.example.com/" });
process.stdout.write(
  JSON.stringify({
    store: typeof SignedFileStore,
    key: encodeKey("photos/a b+c%.png"),
    uppy: Object.keys(options).sort(),
  }) + "\\n",
);
`;
