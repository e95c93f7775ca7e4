import { ruleTemplateProblem } from "../functions/access-rules";
import { type AuthSettings, DEFAULT_JWT_ALGORITHMS } from "../functions/auth-settings";
import {
  DEFAULT_MAX_READ_EXPIRY_SECONDS,
  DEFAULT_MAX_WRITE_EXPIRY_SECONDS,
  MAX_EXPIRY_SECONDS,
  MAX_WRITE_EXPIRY_SECONDS,
  parseUploadLimits,
} from "../functions/config";
import type { UploadLimits } from "../functions/upload-rules";
import { ORIGIN_PATTERN } from "./cors-rules";
import { type ScheduledKeys, scheduledSigningKeys } from "./key-schedule";

export type SigningKeyAlgorithm = "ecdsa-p256" | "rsa-2048";
export type PriceClass = "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
export type LambdaRuntime = "nodejs22.x" | "nodejs24.x";

export interface SigningKeyArgs {
  /** Stable name of this key pair in the stack (letters, digits, `-`). */
  readonly name: string;
  /** Default `ecdsa-p256` (shorter URLs, faster signing); `rsa-2048` is the other kind CloudFront accepts. */
  readonly algorithm?: SigningKeyAlgorithm;
}

export interface JwtAuthArgs {
  readonly mode: "jwt";
  /** Expected `iss` claim. */
  readonly issuer: string;
  /** Expected `aud` claim. */
  readonly audience: string;
  /** The issuer's JSON Web Key Set URL. */
  readonly jwksUrl: string;
  /**
   * Key-prefix templates over token claims; each must end with `/`. Default: read, write and
   * delete only under `{sub}/`. Delete defaults to the write prefixes.
   */
  readonly rules?: { readonly read?: string[]; readonly write?: string[]; readonly delete?: string[] };
  /** Accepted JWS algorithms, default every asymmetric one. `none` and HMAC are never accepted. */
  readonly algorithms?: string[];
}

export type AuthArgs = { readonly mode: "iam" } | { readonly mode: "public" } | JwtAuthArgs;

/**
 * How objects are encrypted at rest. `sse-s3` (the default): S3's own keys. `sse-kms`: a customer
 * managed KMS key, the stack's own unless `kmsKeyArn` names one.
 */
export type EncryptionArgs =
  | { readonly mode: "sse-s3" }
  | {
      readonly mode: "sse-kms";
      /**
       * A key you manage. Its key policy must let this distribution decrypt (see the README); the
       * component grants the function's role what it needs in the role's own policy.
       */
      readonly kmsKeyArn?: string;
    };

export interface CustomDomainArgs {
  /** ACM certificate ARN; CloudFront only takes certificates from us-east-1. */
  readonly certificateArn: string;
  /** Host names the distribution answers to; the first one is used in signed URLs. */
  readonly aliases: string[];
}

/** Every arg is optional; the defaults are the safe choice. */
export interface SignedFileStoreArgs {
  /**
   * Default lifetime of signed URLs in seconds, at most `maxReadExpirySeconds`. Write URLs never
   * live longer than `maxWriteExpirySeconds`. Default 300 (5 minutes).
   */
  readonly expirySeconds?: number;
  /**
   * The longest read URL a caller may ask for with `?expires=` (share links), 1 to 604800. Read URLs
   * are CloudFront URLs signed with the stack's own key, so they may outlive any AWS session.
   * Default 86400 (a day).
   */
  readonly maxReadExpirySeconds?: number;
  /**
   * The longest a write URL (presigned S3 PUT, DELETE or part upload) lives. Such a URL is signed
   * with the function role's temporary credentials and stops working when they expire, whatever its
   * own expiry says, so this stays inside what a role session guarantees. Default and maximum 3600.
   */
  readonly maxWriteExpirySeconds?: number;
  /**
   * Who may call the API. Default `{ mode: "iam" }`: function URL auth type AWS_IAM, callers sign
   * with SigV4. `jwt` verifies bearer tokens; `public` lets anyone read and write (demos only).
   */
  readonly auth?: AuthArgs;
  /** Key prefixes (each ending in `/`) anyone may read without credentials. Default none. */
  readonly publicReadPrefixes?: string[];
  /**
   * The stack's CloudFront key pairs; every public key is in the key group, so a key can be added,
   * made active, and the old one removed later without a redesign. Default one ECDSA P-256 key
   * named `primary`.
   */
  readonly signingKeys?: SigningKeyArgs[];
  /** Name of the key that signs. Default the first of `signingKeys`. */
  readonly activeSigningKey?: string;
  /**
   * Rotate the signing key every this many days, with no key named in `signingKeys` (it cannot be
   * combined with them): at each `pulumi up` the current period's key signs and the two before it
   * stay trusted. Run `pulumi up` at least once a period (a scheduled deploy); the period must be at
   * least `maxReadExpirySeconds` long. Default none.
   */
  readonly signingKeyRotationDays?: number;
  /** Algorithm of the scheduled keys. Default `ecdsa-p256`. */
  readonly signingKeyAlgorithm?: SigningKeyAlgorithm;
  /** Digest for CloudFront signatures. Default `SHA256` (sent as `Hash-Algorithm=SHA256`). */
  readonly hashAlgorithm?: "SHA1" | "SHA256";
  /** Keep overwritten and deleted objects as noncurrent versions. Default true. */
  readonly versioning?: boolean;
  /** Days before noncurrent versions expire. Default 30. */
  readonly noncurrentVersionExpirationDays?: number;
  /** Days before incomplete multipart uploads are aborted; until then they can be resumed. Default 7. */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Let `pulumi destroy` delete a bucket that still holds objects. Default false. */
  readonly forceDestroy?: boolean;
  /** CloudFront price class. Default `PriceClass_100`. */
  readonly priceClass?: PriceClass;
  /** Serve downloads from your own domain. Default the `*.cloudfront.net` name. */
  readonly customDomain?: CustomDomainArgs;
  /** Function memory in MB, 128 to 10240. Default 256. */
  readonly memorySize?: number;
  /** Function timeout in seconds, 1 to 900. Default 60 (completing a large multipart upload waits on S3). */
  readonly timeoutSeconds?: number;
  /** Days the function's logs are kept. Default 30. */
  readonly logRetentionDays?: number;
  /** Lambda runtime. Default `nodejs24.x`. */
  readonly runtime?: LambdaRuntime;
  /** Tags for every taggable resource. */
  readonly tags?: Record<string, string>;
  /**
   * Largest upload in bytes, single or multipart. Single PUTs carry it as a signed Content-Length,
   * multipart uploads are checked at completion. Default S3's own limit, 5 TiB.
   */
  readonly maxUploadBytes?: number;
  /** Content types uploads may declare, `type/subtype` or `type/*`. Default any. */
  readonly allowedContentTypes?: string[];
  /** Part size offered to multipart clients, 5 MiB to 5 GiB. Default 8 MiB. */
  readonly partSizeBytes?: number;
  /**
   * Browser origins (`https://app.example.com`) allowed to call the API and upload to the bucket.
   * Default none. Downloads from the CDN are open to any origin whatever this says: a signed URL is
   * itself the capability.
   */
  readonly cors?: { readonly allowedOrigins: string[] };
  /**
   * Deny object reads in the bucket policy to every principal but the distribution and the
   * function's role, whatever their IAM policies allow. Default true.
   */
  readonly denyDirectReads?: boolean;
  /**
   * Break-glass: IAM role or user ARNs that may still read objects directly while `denyDirectReads`
   * is on (an incident-response role). Default none.
   */
  readonly directReadPrincipalArns?: string[];
  /** Encryption at rest. Default `{ mode: "sse-s3" }`. */
  readonly encryption?: EncryptionArgs;
  /**
   * Send the bucket's events (object created, deleted, restored...) to the account's default
   * EventBridge bus, where any program can subscribe with a rule. Default false.
   */
  readonly events?: boolean;
  /**
   * The most instances of the function that run at once; requests beyond are throttled (429) rather
   * than billed, which caps what a flood against a `public` or `jwt` URL can cost. Default none (the
   * account's unreserved pool).
   */
  readonly reservedConcurrency?: number;
  /** A CloudWatch alarm on the share of API requests answered 5xx. Default none. */
  readonly errorRateAlarm?: ErrorRateAlarmArgs;
}

export interface ErrorRateAlarmArgs {
  /** Alarm above this share of 5xx answers, between 0 and 1 (0.05 = 5 %). */
  readonly threshold: number;
  /** Length of each evaluated period, a multiple of 60 seconds. Default 300. */
  readonly periodSeconds?: number;
  /** Consecutive periods above the threshold before the alarm fires. Default 1. */
  readonly evaluationPeriods?: number;
  /** ARNs notified when the alarm fires and when it clears (SNS topics, for example). Default none. */
  readonly actions?: string[];
}

export interface ResolvedArgs {
  readonly expirySeconds: number;
  readonly maxReadExpirySeconds: number;
  readonly maxWriteExpirySeconds: number;
  readonly auth: AuthSettings;
  readonly publicReadPrefixes: readonly string[];
  readonly signingKeys: ReadonlyArray<Required<SigningKeyArgs>>;
  readonly activeSigningKey: string;
  readonly hashAlgorithm: "SHA1" | "SHA256";
  readonly versioning: boolean;
  readonly noncurrentVersionExpirationDays: number;
  readonly abortIncompleteMultipartUploadDays: number;
  readonly forceDestroy: boolean;
  readonly priceClass: PriceClass;
  readonly customDomain: CustomDomainArgs | undefined;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  readonly runtime: LambdaRuntime;
  readonly tags: Readonly<Record<string, string>>;
  readonly uploads: UploadLimits;
  readonly corsOrigins: readonly string[];
  readonly denyDirectReads: boolean;
  readonly directReadPrincipalArns: readonly string[];
  readonly encryption: EncryptionArgs;
  readonly events: boolean;
  readonly reservedConcurrency: number | undefined;
  readonly errorRateAlarm: Required<ErrorRateAlarmArgs> | undefined;
}

/** `arn:PARTITION:iam::ACCOUNT:role/NAME` or `:user/NAME`, with an optional path. */
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

function resolveEncryption(encryption: EncryptionArgs | undefined): EncryptionArgs {
  if (encryption === undefined) return { mode: "sse-s3" };
  switch (encryption.mode) {
    case "sse-s3":
      return { mode: "sse-s3" };
    case "sse-kms": {
      const { kmsKeyArn } = encryption;
      if (kmsKeyArn === undefined) return { mode: "sse-kms" };
      // S3 takes an alias too, but a key policy and an IAM grant need the key's own ARN.
      if (typeof kmsKeyArn !== "string" || !KMS_KEY_ARN.test(kmsKeyArn))
        fail("encryption.kmsKeyArn", "must be a KMS key ARN (not an alias)", kmsKeyArn);
      return { mode: "sse-kms", kmsKeyArn };
    }
    default:
      return fail(
        "encryption.mode",
        "must be one of sse-s3, sse-kms",
        (encryption as { mode: unknown }).mode,
      );
  }
}

function resolveErrorRateAlarm(
  alarm: ErrorRateAlarmArgs | undefined,
): Required<ErrorRateAlarmArgs> | undefined {
  if (alarm === undefined) return undefined;
  const { threshold } = alarm;
  if (typeof threshold !== "number" || !(threshold > 0 && threshold < 1))
    fail("errorRateAlarm.threshold", "must be a share between 0 and 1, such as 0.05", threshold);
  const periodSeconds = integerIn("errorRateAlarm.periodSeconds", alarm.periodSeconds, 300, 60, 86400);
  if (periodSeconds % 60 !== 0)
    fail("errorRateAlarm.periodSeconds", "must be a multiple of 60", periodSeconds);
  const actions = alarm.actions ?? [];
  if (!Array.isArray(actions) || actions.some((a) => typeof a !== "string" || !/^arn:aws[a-z-]*:/.test(a)))
    fail("errorRateAlarm.actions", "must be a list of ARNs", actions);
  return {
    threshold,
    periodSeconds,
    evaluationPeriods: integerIn("errorRateAlarm.evaluationPeriods", alarm.evaluationPeriods, 1, 1, 100),
    actions: [...actions],
  };
}

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function fail(arg: string, requirement: string, value: unknown): never {
  throw new Error(`[${arg}] ${requirement}, got ${JSON.stringify(value)}`);
}

function integerIn(
  arg: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) fail(arg, `must be between ${min} and ${max}`, v);
  return v;
}

function booleanArg(arg: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== "boolean") fail(arg, "must be true or false", v);
  return v;
}

function oneOf<T extends string>(arg: string, value: T | undefined, fallback: T, allowed: readonly T[]): T {
  const v = value ?? fallback;
  if (!allowed.includes(v)) fail(arg, `must be one of ${allowed.join(", ")}`, v);
  return v;
}

function templates(arg: string, value: readonly string[] | undefined, fallback: readonly string[]): string[] {
  const list = [...(value ?? fallback)];
  list.forEach((t, i) => {
    const problem = typeof t === "string" ? ruleTemplateProblem(t) : "must be a string";
    if (problem) throw new Error(`[${arg}[${i}]] ${problem}`);
  });
  return list;
}

function resolveAuth(auth: AuthArgs | undefined): AuthSettings {
  if (auth === undefined) return { mode: "iam" };
  switch (auth.mode) {
    case "iam":
    case "public":
      return { mode: auth.mode };
    case "jwt": {
      for (const field of ["issuer", "audience", "jwksUrl"] as const) {
        if (typeof auth[field] !== "string" || auth[field] === "")
          fail(`auth.${field}`, "must be a non-empty string", auth[field]);
      }
      if (!/^https:\/\//.test(auth.jwksUrl)) fail("auth.jwksUrl", "must be an https URL", auth.jwksUrl);
      const algorithms = auth.algorithms ?? DEFAULT_JWT_ALGORITHMS;
      if (algorithms.length === 0 || algorithms.some((a) => !DEFAULT_JWT_ALGORITHMS.includes(a))) {
        fail(
          "auth.algorithms",
          `must be a non-empty subset of ${DEFAULT_JWT_ALGORITHMS.join(", ")}`,
          algorithms,
        );
      }
      const write = templates("auth.rules.write", auth.rules?.write, ["{sub}/"]);
      return {
        mode: "jwt",
        issuer: auth.issuer,
        audience: auth.audience,
        jwksUrl: auth.jwksUrl,
        algorithms: [...algorithms],
        rules: {
          read: templates("auth.rules.read", auth.rules?.read, ["{sub}/"]),
          write,
          delete: templates("auth.rules.delete", auth.rules?.delete, write),
        },
      };
    }
    default:
      return fail("auth.mode", "must be one of iam, jwt, public", (auth as { mode: unknown }).mode);
  }
}

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

/** Resolves every default once and validates early, naming the arg and the bad value. */
/** Scheduled keys when `signingKeyRotationDays` is set, from the deploy's clock. */
function scheduleOf(args: SignedFileStoreArgs, maxReadExpirySeconds: number): ScheduledKeys | undefined {
  if (args.signingKeyRotationDays === undefined) return undefined;
  const days = args.signingKeyRotationDays;
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 3650) {
    fail("signingKeyRotationDays", "must be a whole number of days from 1 to 3650", days);
  }
  if (days * 86_400 < maxReadExpirySeconds) {
    fail(
      "signingKeyRotationDays",
      `must be at least maxReadExpirySeconds (${maxReadExpirySeconds} s) long, so no key leaves the key group while a URL it signed is valid`,
      days,
    );
  }
  if (args.signingKeys !== undefined || args.activeSigningKey !== undefined) {
    fail("signingKeyRotationDays", "names its own keys: leave signingKeys and activeSigningKey unset", days);
  }
  const algorithm = oneOf("signingKeyAlgorithm", args.signingKeyAlgorithm, "ecdsa-p256", [
    "ecdsa-p256",
    "rsa-2048",
  ]);
  return scheduledSigningKeys(days, algorithm, Date.now());
}

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
  const schedule = scheduleOf(args, maxReadExpirySeconds);
  const signingKeys = (schedule?.signingKeys ?? args.signingKeys ?? [{ name: "primary" }]).map((k, i) => {
    if (typeof k.name !== "string" || !/^[A-Za-z0-9-]{1,40}$/.test(k.name)) {
      fail(`signingKeys[${i}].name`, "must be 1 to 40 letters, digits or -", k.name);
    }
    return {
      name: k.name,
      algorithm: oneOf(`signingKeys[${i}].algorithm`, k.algorithm, "ecdsa-p256", ["ecdsa-p256", "rsa-2048"]),
    };
  });
  if (signingKeys.length === 0 || signingKeys.length > 5)
    fail("signingKeys", "must hold 1 to 5 keys (a key group holds at most 5)", args.signingKeys);
  const names = signingKeys.map((k) => k.name);
  if (new Set(names).size !== names.length) fail("signingKeys", "must have unique names", names);
  const activeSigningKey = schedule?.activeSigningKey ?? args.activeSigningKey ?? names[0] ?? "";
  if (!names.includes(activeSigningKey))
    fail("activeSigningKey", `must be one of ${names.join(", ")}`, activeSigningKey);

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
    signingKeys,
    activeSigningKey,
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
    },
    "",
  );
}
