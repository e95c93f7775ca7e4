import type { UploadLimits } from "../../functions/api/upload-rules";
import type { JwtScopes } from "../../functions/auth/settings";
import {
  DEFAULT_MAX_READ_EXPIRY_SECONDS,
  DEFAULT_MAX_WRITE_EXPIRY_SECONDS,
  MAX_EXPIRY_SECONDS,
  MAX_WRITE_EXPIRY_SECONDS,
  parseUploadLimits,
} from "../../functions/config";
import { ORIGIN_PATTERN } from "../policies/cors-rules";
import {
  booleanArg,
  fail,
  IAM_PRINCIPAL_ARN,
  integerIn,
  LOG_RETENTION_DAYS,
  oneOf,
  resolveAuth,
  resolveEncryption,
  resolveErrorRateAlarm,
  templates,
} from "./checks";
import { resolveSigningKeys, resolveStoreSigning } from "./signing-keys";
import type {
  ResolvedAccountArgs,
  ResolvedArgs,
  SignedFileStoreAccountArgs,
  SignedFileStoreArgs,
  SigningKeyAlgorithm,
  SigningKeyArgs,
} from "./types";

export { LOG_RETENTION_DAYS } from "./checks";
/**
 * The program's `signingKeys` config: `NAME` or `NAME:ALGORITHM` entries (typed config holds no
 * objects), `fallbackAlgorithm` for entries without one. The component validates the result.
 */
export function signingKeysFromConfig(
  entries: readonly string[],
  fallbackAlgorithm: string,
): SigningKeyArgs[] {
  return entries.map((entry, i) => {
    const match = /^([^:]+)(?::([^:]+))?$/.exec(typeof entry === "string" ? entry : "");
    if (!match?.[1]) fail(`signingKeys[${i}]`, "must be NAME or NAME:ALGORITHM", entry);
    return { name: match[1], algorithm: (match[2] ?? fallbackAlgorithm) as SigningKeyAlgorithm };
  });
}

/**
 * The program's `jwtScopes` config: `ACTION:SCOPE` entries (typed config holds no objects), the
 * action being read, write, delete or purge and the scope everything after the first `:` (a scope
 * may hold colons itself, `files:read`). The component validates the result.
 */
export function jwtScopesFromConfig(entries: readonly string[]): JwtScopes | undefined {
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map((entry, i) => {
      const match = /^([a-z]+):(.+)$/.exec(typeof entry === "string" ? entry : "");
      if (!match?.[1] || !match[2])
        fail(`jwtScopes[${i}]`, "must be ACTION:SCOPE, such as purge:files:purge", entry);
      return [match[1], match[2]];
    }),
  ) as JwtScopes;
}

/** Resolves every default once and validates early, naming the arg and the bad value. */
export function resolveArgs(args: SignedFileStoreArgs = {}): ResolvedArgs {
  const auth = resolveAuth(args.auth);
  const publicReadPrefixes = templates("publicReadPrefixes", args.publicReadPrefixes, []);
  if (auth.mode === "iam" && publicReadPrefixes.length > 0) {
    // A function URL with auth type AWS_IAM rejects unsigned requests before the function runs, so
    // an anonymous prefix could never be reached.
    fail(
      "publicReadPrefixes",
      'needs auth mode "jwt" or "public": with "iam" unsigned requests never reach the function',
      publicReadPrefixes,
    );
  }
  const maxReadExpirySeconds = integerIn(
    "maxReadExpirySeconds",
    args.maxReadExpirySeconds,
    DEFAULT_MAX_READ_EXPIRY_SECONDS,
    1,
    MAX_EXPIRY_SECONDS,
  );
  const signing = resolveStoreSigning(args, maxReadExpirySeconds);

  const customDomain = args.customDomain;
  if (customDomain !== undefined) {
    if (
      !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(customDomain.certificateArn ?? "")
    ) {
      fail(
        "customDomain.certificateArn",
        "must be an ACM certificate ARN in us-east-1",
        customDomain.certificateArn,
      );
    }
    if (
      !Array.isArray(customDomain.aliases) ||
      customDomain.aliases.length === 0 ||
      customDomain.aliases.some((a) => !/^[a-z0-9.*-]+\.[a-z0-9-]+$/i.test(a))
    ) {
      fail("customDomain.aliases", "must be a non-empty list of host names", customDomain.aliases);
    }
  }
  const retention = args.logRetentionDays ?? 30;
  if (!LOG_RETENTION_DAYS.includes(retention))
    fail("logRetentionDays", `must be one of ${LOG_RETENTION_DAYS.join(", ")}`, retention);

  const corsOrigins = args.cors?.allowedOrigins ?? [];
  if (
    !Array.isArray(corsOrigins) ||
    corsOrigins.some((o) => typeof o !== "string" || (o !== "*" && !ORIGIN_PATTERN.test(o)))
  ) {
    fail(
      "cors.allowedOrigins",
      'must be a list of origins like https://app.example.com, or ["*"]',
      corsOrigins,
    );
  }

  const denyDirectReads = booleanArg("denyDirectReads", args.denyDirectReads, true);
  const directReadPrincipalArns = args.directReadPrincipalArns ?? [];
  if (
    !Array.isArray(directReadPrincipalArns) ||
    directReadPrincipalArns.some((a) => typeof a !== "string" || !IAM_PRINCIPAL_ARN.test(a))
  ) {
    fail("directReadPrincipalArns", "must be a list of IAM role or user ARNs", directReadPrincipalArns);
  }
  if (!denyDirectReads && directReadPrincipalArns.length > 0) {
    fail("directReadPrincipalArns", "only applies with denyDirectReads", directReadPrincipalArns);
  }

  const expirySeconds = integerIn("expirySeconds", args.expirySeconds, 300, 1, MAX_EXPIRY_SECONDS);
  if (expirySeconds > maxReadExpirySeconds) {
    fail("expirySeconds", `must not exceed maxReadExpirySeconds (${maxReadExpirySeconds})`, expirySeconds);
  }

  return {
    expirySeconds,
    maxReadExpirySeconds,
    maxWriteExpirySeconds: integerIn(
      "maxWriteExpirySeconds",
      args.maxWriteExpirySeconds,
      DEFAULT_MAX_WRITE_EXPIRY_SECONDS,
      1,
      MAX_WRITE_EXPIRY_SECONDS,
    ),
    auth,
    publicReadPrefixes,
    signing,
    hashAlgorithm: oneOf("hashAlgorithm", args.hashAlgorithm, "SHA256", ["SHA1", "SHA256"]),
    versioning: args.versioning ?? true,
    noncurrentVersionExpirationDays: integerIn(
      "noncurrentVersionExpirationDays",
      args.noncurrentVersionExpirationDays,
      30,
      1,
      36500,
    ),
    abortIncompleteMultipartUploadDays: integerIn(
      "abortIncompleteMultipartUploadDays",
      args.abortIncompleteMultipartUploadDays,
      7,
      1,
      36500,
    ),
    forceDestroy: args.forceDestroy ?? false,
    priceClass: oneOf("priceClass", args.priceClass, "PriceClass_100", [
      "PriceClass_100",
      "PriceClass_200",
      "PriceClass_All",
    ]),
    customDomain: customDomain
      ? { certificateArn: customDomain.certificateArn, aliases: [...customDomain.aliases] }
      : undefined,
    memorySize: integerIn("memorySize", args.memorySize, 256, 128, 10240),
    // CompleteMultipartUpload "could take several minutes to finalize" (Amazon S3 API Reference), and
    // the function waits for it; signing alone takes milliseconds.
    timeoutSeconds: integerIn("timeoutSeconds", args.timeoutSeconds, 60, 1, 900),
    logRetentionDays: retention,
    runtime: oneOf("runtime", args.runtime, "nodejs24.x", ["nodejs22.x", "nodejs24.x"]),
    tags: { ...args.tags },
    uploads: resolveUploads(args),
    corsOrigins: [...corsOrigins],
    denyDirectReads,
    directReadPrincipalArns: [...directReadPrincipalArns],
    encryption: resolveEncryption(args.encryption),
    events: booleanArg("events", args.events, false),
    reservedConcurrency:
      args.reservedConcurrency === undefined
        ? undefined
        : integerIn("reservedConcurrency", args.reservedConcurrency, 0, 1, 1_000_000),
    errorRateAlarm: resolveErrorRateAlarm(args.errorRateAlarm),
  };
}

/** The handler's own parser, with errors naming the args (no `uploads.` prefix). */
function resolveUploads(args: SignedFileStoreArgs): UploadLimits {
  return parseUploadLimits(
    {
      maxUploadBytes: args.maxUploadBytes,
      allowedContentTypes: args.allowedContentTypes,
      partSizeBytes: args.partSizeBytes,
      requireChecksum: args.requireChecksum,
      allowedMetadata: args.allowedMetadata,
    },
    "",
  );
}

/** The account component's args, resolved and checked as a store's are. */
export function resolveAccountArgs(args: SignedFileStoreAccountArgs = {}): ResolvedAccountArgs {
  const maxReadExpirySeconds = integerIn(
    "maxReadExpirySeconds",
    args.maxReadExpirySeconds,
    DEFAULT_MAX_READ_EXPIRY_SECONDS,
    1,
    MAX_EXPIRY_SECONDS,
  );
  return {
    maxReadExpirySeconds,
    signing: resolveSigningKeys(args, maxReadExpirySeconds),
    tags: { ...args.tags },
  };
}
