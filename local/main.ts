import * as path from "node:path";
import { parseArgs } from "node:util";
import { envOptionReader } from "../client/env-options";
import { parseAuthSettings, parseUploadLimits } from "../functions/config";
import { startLocalStack } from "./stack";

const HELP = `signed-file-store local stack: function URL, CDN edge and S3 storage on 127.0.0.1

  npm start -- [options]          (every option also reads SFS_<NAME>, e.g. SFS_PORT=4000)

  --port N                 API (function URL) port, default 3000
  --edge-port N            CDN edge port, default any free port
  --storage-port N         embedded storage port, default any free port
  --example-port N         browser example page port, default 3001
  --data-dir DIR           where objects and local keys live, default .data
  --expiry-seconds N       signed URL lifetime, default 300
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
  "storage-port": { type: "string" },
  "example-port": { type: "string" },
  "max-upload-bytes": { type: "string" },
  "allowed-content-types": { type: "string" },
  "part-size": { type: "string" },
  "data-dir": { type: "string" },
  "expiry-seconds": { type: "string" },
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
  if (expirySeconds < 1 || expirySeconds > 604800)
    fail(`--expiry-seconds must be between 1 and 604800, got ${expirySeconds}`);
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

  const stack = await startLocalStack({
    dataDir,
    apiPort: int("port", 3000),
    edgePort: int("edge-port", 0),
    storagePort: int("storage-port", 0),
    examplePort: int("example-port", 3001),
    uploads,
    expirySeconds,
    auth,
    publicReadPrefixes: list("public-read") ?? [],
    corsOrigins: list("cors-origins") ?? [],
    ...(s3 ? { s3 } : {}),
  });
  const api = stack.apiUrl;
  process.stderr.write(`
signed-file-store local stack (auth: ${auth.mode})
  API (function URL)  ${api}
  CDN edge            ${stack.edgeUrl}
  storage             ${stack.storageUrl}${s3 ? "" : `   (data in ${dataDir})`}
  example page        ${stack.exampleUrl}?api=${encodeURIComponent(api)}
${
  stack.iamCaller
    ? `
  auth iam: sign requests (service lambda, region us-east-1) with
    AWS_ACCESS_KEY_ID=${stack.iamCaller.accessKeyId} AWS_SECRET_ACCESS_KEY=${stack.iamCaller.secretAccessKey}
  e.g. curl --aws-sigv4 aws:amz:us-east-1:lambda --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'Accept: application/json' ${api}/photos/cat.png
`
    : ""
}
  upload     curl -L -T cat.png ${api}/photos/cat.png
  download   curl -L -o back.png ${api}/photos/cat.png
  delete     curl -L -X DELETE ${api}/photos/cat.png
  large file (two steps; the function URL refuses bodies over 6 MB):
             curl -sS -X PUT -H 'Accept: application/json' ${api}/videos/big.bin | node -pe 'JSON.parse(require("fs").readFileSync(0)).url' | xargs -I{} curl --fail -T big.bin '{}'
  any size, with progress, parallel parts and resume (the sfs CLI):
             npm run sfs -- put big.bin videos/big.bin --api-url ${api}
             npm run sfs -- get videos/big.bin back.bin --api-url ${api}

Ctrl-C stops; uploads in flight finish first.
`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: finishing requests in flight...\n`);
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
