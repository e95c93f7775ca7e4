import * as path from "node:path";
import { parseArgs } from "node:util";
import { envOptionReader } from "../../client/cli/env-options";
import {
  parseAccessRules,
  parseAuthSettings,
  parseExpiryLimits,
  parseUploadLimits,
} from "../../functions/config";
import type { PORT_OPTIONS } from "./banner";
import { DEFAULT_ISSUER_PORT, isLoopback } from "./dev-issuer";
import type { LocalStackOptions } from "./stack";

export const HELP = `signed-file-store local stack: function URL, CDN edge and S3 storage on 127.0.0.1

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
                           a real issuer; without all three, --auth jwt starts a development issuer
  --issuer-port N          the development issuer's port, default 3002
  --issuer-host HOST       the development issuer's address, loopback only, default 127.0.0.1
  --jwt-read LIST          comma-separated prefix templates, default {sub}/
  --jwt-write LIST         comma-separated prefix templates, default {sub}/
  --public-read LIST       comma-separated prefixes anyone may read
  --cors-origins LIST      comma-separated allowed origins, or * (the example page's origin always is)
  --max-upload-bytes N     largest upload accepted, default 5 TiB
  --allowed-content-types LIST  comma-separated type/subtype or type/*, default any
  --part-size N            part size offered to multipart clients, default 8388608
  --require-checksums      every upload must carry x-amz-checksum-crc64nvme or -sha256
  --allowed-metadata LIST  comma-separated user metadata names uploads may set (x-amz-meta-NAME), default none
  --noncurrent-version-expiration-days N  days an overwritten or deleted version is kept, default 30
  --abort-incomplete-multipart-upload-days N  days an unfinished multipart upload is kept, default 7
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
  "require-checksums": { type: "boolean" },
  "allowed-metadata": { type: "string" },
  "noncurrent-version-expiration-days": { type: "string" },
  "abort-incomplete-multipart-upload-days": { type: "string" },
  "data-dir": { type: "string" },
  "edge-cache-bytes": { type: "string" },
  "expiry-seconds": { type: "string" },
  "max-read-expiry-seconds": { type: "string" },
  auth: { type: "string" },
  "jwt-issuer": { type: "string" },
  "jwt-audience": { type: "string" },
  "jwt-jwks-url": { type: "string" },
  "issuer-port": { type: "string" },
  "issuer-host": { type: "string" },
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

type OptionName = keyof typeof OPTIONS;

/** A command line the stack cannot start from: one line saying which option and why. */
export class UsageError extends Error {}

export const DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS = 30;
export const DEFAULT_ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS = 7;

/** The config's field names in brackets, as the options are spelled on the command line. */
const FLAG_OF_FIELD: ReadonlyArray<readonly [RegExp, string]> = [
  [/\[expirySeconds\]/g, "--expiry-seconds"],
  [/\[maxReadExpirySeconds\]/g, "--max-read-expiry-seconds"],
  [/maxReadExpirySeconds \(/g, "--max-read-expiry-seconds ("],
  [/\[auth\.issuer\]/g, "--jwt-issuer"],
  [/\[auth\.audience\]/g, "--jwt-audience"],
  [/\[auth\.jwksUrl\]/g, "--jwt-jwks-url"],
  [/\[auth\.rules\.read(\[\d+\])?\]/g, "--jwt-read"],
  [/\[auth\.rules\.write(\[\d+\])?\]/g, "--jwt-write"],
  [/\[auth\.mode\]/g, "--auth"],
  [/\[uploads\.maxUploadBytes\]/g, "--max-upload-bytes"],
  [/\[uploads\.allowedContentTypes\]/g, "--allowed-content-types"],
  [/\[uploads\.partSizeBytes\]/g, "--part-size"],
  [/\[uploads\.allowedMetadata\]/g, "--allowed-metadata"],
];

function asFlags(message: string): string {
  return FLAG_OF_FIELD.reduce((text, [field, flag]) => text.replace(field, flag), message);
}

export interface ParsedStackArgs {
  readonly options: LocalStackOptions;
  /** The port each port option asked for (0: any free one), to name the option a clash is on. */
  readonly ports: Readonly<Record<(typeof PORT_OPTIONS)[number], number>>;
}

/**
 * The stack's options from the command line and the SFS_ environment, checked as the deployed
 * function checks its config, every error naming the option; undefined for --help.
 */
export function parseStackArgs(args: readonly string[]): ParsedStackArgs | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...args], options: OPTIONS, strict: true }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const { opt, flag } = envOptionReader<OptionName>(values);
  const int = (name: OptionName, fallback: number, min = 0): number => {
    const text = opt(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min)
      throw new UsageError(
        `--${name} must be a whole number${min > 0 ? ` of at least ${min}` : ""}, got ${JSON.stringify(text)}`,
      );
    return n;
  };
  const list = (name: OptionName) =>
    opt(name)
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const checked = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      throw new UsageError(asFlags((error as Error).message));
    }
  };

  const rules = { read: list("jwt-read") ?? ["{sub}/"], write: list("jwt-write") ?? ["{sub}/"] };
  const authMode = opt("auth") ?? "public";
  const real = (["jwt-issuer", "jwt-audience", "jwt-jwks-url"] as const).filter(
    (name) => opt(name) !== undefined,
  );
  const devIssuer = authMode === "jwt" && real.length === 0;
  if (authMode === "jwt" && real.length > 0 && real.length < 3) {
    const missing = ["jwt-issuer", "jwt-audience", "jwt-jwks-url"].filter((n) => !real.includes(n as never));
    throw new UsageError(
      `--auth jwt with a real issuer needs --jwt-issuer, --jwt-audience and --jwt-jwks-url together (or none, for the development issuer); missing --${missing.join(", --")}`,
    );
  }
  const issuerHost = opt("issuer-host");
  if (issuerHost !== undefined && !isLoopback(issuerHost))
    throw new UsageError(
      `--issuer-host must be a loopback address (127.0.0.1, ::1 or localhost), got ${JSON.stringify(issuerHost)}: the development issuer gives a token to anyone who asks; use a real issuer (--jwt-issuer, --jwt-audience, --jwt-jwks-url) beyond this machine`,
    );
  const auth = devIssuer
    ? ({ mode: "jwt", rules } as const)
    : checked(() =>
        parseAuthSettings({
          mode: authMode,
          issuer: opt("jwt-issuer"),
          audience: opt("jwt-audience"),
          jwksUrl: opt("jwt-jwks-url"),
          rules,
        }),
      );
  if (devIssuer) checked(() => parseAccessRules(rules, "auth.rules"));

  const endpoint = opt("s3-endpoint");
  const need = (name: OptionName) => opt(name) ?? fail(`--s3-endpoint needs --${name}`);
  const s3 = endpoint
    ? {
        endpoint,
        bucket: need("s3-bucket"),
        region: opt("s3-region") ?? "us-east-1",
        credentials: { accessKeyId: need("s3-access-key-id"), secretAccessKey: need("s3-secret-access-key") },
      }
    : undefined;
  const expirySeconds = int("expiry-seconds", 300);
  const maxReadExpirySeconds =
    opt("max-read-expiry-seconds") === undefined ? undefined : int("max-read-expiry-seconds", 0);
  checked(() => parseExpiryLimits({ expirySeconds, maxReadExpirySeconds }));
  const uploads = checked(() =>
    parseUploadLimits({
      maxUploadBytes: opt("max-upload-bytes") === undefined ? undefined : int("max-upload-bytes", 0),
      allowedContentTypes: list("allowed-content-types"),
      partSizeBytes: opt("part-size") === undefined ? undefined : int("part-size", 0),
      requireChecksum: flag("require-checksums"),
      allowedMetadata: list("allowed-metadata"),
    }),
  );
  const ports = {
    port: int("port", 3000),
    "edge-port": int("edge-port", 0),
    "cloudfront-port": int("cloudfront-port", 0),
    "storage-port": int("storage-port", 0),
    "example-port": int("example-port", 3001),
    "issuer-port": int("issuer-port", DEFAULT_ISSUER_PORT),
  };
  const options: LocalStackOptions = {
    dataDir: path.resolve(opt("data-dir") ?? ".data"),
    apiPort: ports.port,
    edgePort: ports["edge-port"],
    cloudFrontPort: ports["cloudfront-port"],
    storagePort: ports["storage-port"],
    examplePort: ports["example-port"],
    ...(opt("edge-cache-bytes") === undefined ? {} : { edgeCacheBytes: int("edge-cache-bytes", 0) }),
    uploads,
    expirySeconds,
    ...(maxReadExpirySeconds === undefined ? {} : { maxReadExpirySeconds }),
    auth,
    ...(devIssuer ? { issuerPort: ports["issuer-port"], ...(issuerHost ? { issuerHost } : {}) } : {}),
    publicReadPrefixes: list("public-read") ?? [],
    corsOrigins: list("cors-origins") ?? [],
    storage: {
      lifecycle: {
        noncurrentVersionExpirationDays: int(
          "noncurrent-version-expiration-days",
          DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS,
          1,
        ),
        abortIncompleteMultipartUploadDays: int(
          "abort-incomplete-multipart-upload-days",
          DEFAULT_ABORT_INCOMPLETE_MULTIPART_UPLOAD_DAYS,
          1,
        ),
      },
    },
    ...(s3 ? { s3 } : {}),
  };
  return { options, ports };
}

function fail(message: string): never {
  throw new UsageError(message);
}
