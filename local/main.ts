import * as path from "node:path";
import { parseArgs } from "node:util";
import { envOptionReader } from "../client/cli/env-options";
import { parseAuthSettings, parseExpiryLimits, parseUploadLimits } from "../functions/config";
import { listenProblem, startBanner } from "./stack/banner";
import { type LocalStack, startLocalStack } from "./stack/stack";

const HELP = `signed-file-store local stack: function URL, CDN edge and S3 storage on 127.0.0.1

  npm start -- [options]          (every option also reads SFS_<NAME>, e.g. SFS_PORT=4000)

  --port N                 API (function URL) port, default 3000
  --edge-port N            CDN edge port, default any free port
  --cloudfront-port N      CloudFront API (invalidations) port, default any free port
  --storage-port N         embedded storage port, default any free port
  --example-port N         browser example page port, default 3001
  --data-dir DIR           where objects and local keys live, default .data
  --edge-cache-bytes N     the CDN edge's cache bound in bytes, default 268435456 (256 MiB)
  --expiry-seconds N       signed URL lifetime, default 300
  --max-read-expiry-seconds N  longest lifetime a read may ask for (?expires=), default 86400
  --auth MODE              public (default), jwt, or iam (SigV4; the caller's keys are printed)
  --jwt-issuer URL --jwt-audience AUD --jwt-jwks-url URL
  --jwt-read LIST          comma-separated prefix templates, default {sub}/
  --jwt-write LIST         comma-separated prefix templates, default {sub}/
  --public-read LIST       comma-separated prefixes anyone may read
  --cors-origins LIST      comma-separated allowed origins, or * (the example page's origin always is)
  --max-upload-bytes N     largest upload accepted, default 5 TiB
  --allowed-content-types LIST  comma-separated type/subtype or type/*, default any
  --part-size N            part size offered to multipart clients, default 8388608
  --s3-endpoint URL        use this S3-compatible server instead of the embedded storage
  --s3-bucket NAME --s3-region REGION --s3-access-key-id ID --s3-secret-access-key SECRET
`;

const OPTIONS = {
  port: { type: "string" },
  "edge-port": { type: "string" },
  "cloudfront-port": { type: "string" },
  "storage-port": { type: "string" },
  "example-port": { type: "string" },
  "max-upload-bytes": { type: "string" },
  "allowed-content-types": { type: "string" },
  "part-size": { type: "string" },
  "data-dir": { type: "string" },
  "edge-cache-bytes": { type: "string" },
  "expiry-seconds": { type: "string" },
  "max-read-expiry-seconds": { type: "string" },
  auth: { type: "string" },
  "jwt-issuer": { type: "string" },
  "jwt-audience": { type: "string" },
  "jwt-jwks-url": { type: "string" },
  "jwt-read": { type: "string" },
  "jwt-write": { type: "string" },
  "public-read": { type: "string" },
  "cors-origins": { type: "string" },
  "s3-endpoint": { type: "string" },
  "s3-bucket": { type: "string" },
  "s3-region": { type: "string" },
  "s3-access-key-id": { type: "string" },
  "s3-secret-access-key": { type: "string" },
  help: { type: "boolean" },
} as const;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (error) {
    fail(String((error as Error).message));
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const { opt } = envOptionReader<keyof typeof OPTIONS>(values);
  const int = (name: keyof typeof OPTIONS, fallback?: number): number | undefined => {
    const text = opt(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
    return n;
  };
  const list = (name: keyof typeof OPTIONS) =>
    opt(name)
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);

  const authMode = opt("auth") ?? "public";
  let auth: ReturnType<typeof parseAuthSettings>;
  try {
    auth = parseAuthSettings({
      mode: authMode,
      issuer: opt("jwt-issuer"),
      audience: opt("jwt-audience"),
      jwksUrl: opt("jwt-jwks-url"),
      rules: { read: list("jwt-read") ?? ["{sub}/"], write: list("jwt-write") ?? ["{sub}/"] },
    });
  } catch (error) {
    fail(`--auth: ${(error as Error).message}`);
  }
  const endpoint = opt("s3-endpoint");
  const s3 = endpoint
    ? {
        endpoint,
        bucket: opt("s3-bucket") ?? fail("--s3-endpoint needs --s3-bucket"),
        region: opt("s3-region") ?? "us-east-1",
        credentials: {
          accessKeyId: opt("s3-access-key-id") ?? fail("--s3-endpoint needs --s3-access-key-id"),
          secretAccessKey: opt("s3-secret-access-key") ?? fail("--s3-endpoint needs --s3-secret-access-key"),
        },
      }
    : undefined;
  const expirySeconds = int("expiry-seconds", 300) ?? 300;
  const maxReadExpirySeconds = int("max-read-expiry-seconds");
  try {
    parseExpiryLimits({ expirySeconds, maxReadExpirySeconds });
  } catch (error) {
    // The config's names in brackets, as the options are spelled on the command line.
    fail(
      (error as Error).message
        .replace("[expirySeconds]", "--expiry-seconds")
        .replace("[maxReadExpirySeconds]", "--max-read-expiry-seconds")
        .replace("maxReadExpirySeconds (", "--max-read-expiry-seconds ("),
    );
  }
  const dataDir = path.resolve(opt("data-dir") ?? ".data");
  let uploads: ReturnType<typeof parseUploadLimits>;
  try {
    uploads = parseUploadLimits({
      maxUploadBytes: int("max-upload-bytes"),
      allowedContentTypes: list("allowed-content-types"),
      partSizeBytes: int("part-size"),
    });
  } catch (error) {
    fail((error as Error).message);
  }

  // The AWS SDK warns on every start under Node.js 20 that its 2027 releases need Node.js 22. The
  // deployed function runs on nodejs22.x or newer, so for the local stack the warning is noise; the
  // SDK's own switch silences that one warning and no other.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const ports = {
    port: int("port", 3000) ?? 3000,
    "edge-port": int("edge-port", 0) ?? 0,
    "cloudfront-port": int("cloudfront-port", 0) ?? 0,
    "storage-port": int("storage-port", 0) ?? 0,
    "example-port": int("example-port", 3001) ?? 3001,
  };
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir,
      apiPort: ports.port,
      edgePort: ports["edge-port"],
      cloudFrontPort: ports["cloudfront-port"],
      storagePort: ports["storage-port"],
      examplePort: ports["example-port"],
      ...(opt("edge-cache-bytes") === undefined ? {} : { edgeCacheBytes: int("edge-cache-bytes") }),
      uploads,
      expirySeconds,
      ...(maxReadExpirySeconds === undefined ? {} : { maxReadExpirySeconds }),
      auth,
      publicReadPrefixes: list("public-read") ?? [],
      corsOrigins: list("cors-origins") ?? [],
      ...(s3 ? { s3 } : {}),
    });
  } catch (error) {
    const problem = listenProblem(error, ports);
    if (problem === undefined) throw error;
    process.stderr.write(`${problem}\n`);
    process.exit(2);
  }
  process.stderr.write(
    startBanner({
      auth,
      apiUrl: stack.apiUrl,
      edgeUrl: stack.edgeUrl,
      cloudFrontApiUrl: stack.cloudFrontApiUrl,
      storageUrl: stack.storageUrl,
      ...(s3 ? {} : { dataDir }),
      exampleUrl: stack.exampleUrl,
      ...(stack.iamCaller ? { iamCaller: stack.iamCaller } : {}),
      // The local function URL's region (its default): what SigV4 callers must scope to.
      region: "us-east-1",
    }),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A request that stalls (an upload whose client stopped sending) would hold the stop up.
      process.stderr.write(`\n${signal} again: stopping now, without waiting for requests in flight\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: finishing requests in flight (${signal} again stops at once)...\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
