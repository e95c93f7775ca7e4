import { DEFAULT_UPLOAD_LIMITS, METADATA_NAME, S3_LIMITS, type UploadLimits } from "./api/upload-rules";
import { type AccessRules, ruleTemplateProblem } from "./auth/access-rules";
import {
  type AuthSettings,
  DEFAULT_JWT_ALGORITHMS,
  DEFAULT_JWT_SCOPES,
  type JwtScopes,
} from "./auth/settings";
import type { CloudFrontHashAlgorithm } from "./signers/cloudfront-signer";
import type { S3Target } from "./signers/s3-presigner";

/** The longest a SigV4 presigned URL may live. */
export const MAX_EXPIRY_SECONDS = 604_800;
/** Share links: a day unless the deployment says otherwise; never more than a CloudFront URL we sign may say. */
export const DEFAULT_MAX_READ_EXPIRY_SECONDS = 86_400;
/**
 * A presigned URL signed with temporary credentials stops working when they expire, whatever its
 * X-Amz-Expires says (Amazon S3 User Guide, "Sharing objects with presigned URLs"). See
 * WRITE_EXPIRY_LIMIT_NOTE for the numbers these follow.
 */
export const DEFAULT_MAX_WRITE_EXPIRY_SECONDS = 3_600;
export const MAX_WRITE_EXPIRY_SECONDS = 3_600;

/** Everything the handler needs that is not secret; the Lambda reads it once per cold start. */
export interface HandlerConfig {
  readonly s3: S3Target;
  /** `https://dXXXX.cloudfront.net` or the custom domain, without a trailing slash. */
  readonly cdnBaseUrl: string;
  /** ID of the CloudFront public key whose private half signs; it must be in the key group. */
  readonly keyPairId: string;
  readonly hashAlgorithm: CloudFrontHashAlgorithm;
  /** Default lifetime of read URLs, and the lifetime of write URLs up to `maxWriteExpirySeconds`. */
  readonly expirySeconds: number;
  /** Longest read URL a caller may ask for with `?expires=`. */
  readonly maxReadExpirySeconds: number;
  /** Write URLs (S3, signed with the role's session) never live longer than this. */
  readonly maxWriteExpirySeconds: number;
  readonly auth: AuthSettings;
  readonly publicReadPrefixes: readonly string[];
  readonly uploads: UploadLimits;
  /** The distribution that serves reads: a purge invalidates its cached copies of the key. */
  readonly cdn: CdnTarget;
}

export interface CdnTarget {
  /** The CloudFront distribution ID (`E2QWRUHAPOMQZL`), for CreateInvalidation. */
  readonly distributionId: string;
  /**
   * Where CloudFront's API is reached; `https://cloudfront.amazonaws.com` unless set (the local
   * stack points it at its edge).
   */
  readonly apiEndpoint?: string;
}

/** The environment variable holding the JSON-encoded HandlerConfig. */
export const CONFIG_ENV = "SIGNED_FILE_STORE_CONFIG";
/** The SSM SecureString parameter holding the active signing key's PEM. */
export const SIGNING_KEY_PARAMETER_ENV = "SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER";

export class ConfigError extends Error {}

type Json = Record<string, unknown>;

function requireString(object: Json, path: string, name: string): string {
  const value = object[name];
  if (typeof value !== "string" || value === "") {
    throw new ConfigError(`[${path}${name}] must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireObject(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`[${path}] must be an object, got ${JSON.stringify(value)}`);
  }
  return value as Json;
}

function prefixList(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new ConfigError(`[${path}] must be an array of strings, got ${JSON.stringify(value)}`);
  }
  value.forEach((template: string, i) => {
    const problem = ruleTemplateProblem(template);
    if (problem) throw new ConfigError(`[${path}[${i}]] ${problem}`);
  });
  return value as string[];
}

export function parseAccessRules(value: unknown, path: string): AccessRules {
  const rules = requireObject(value, path);
  const write = prefixList(rules.write, `${path}.write`);
  return {
    read: prefixList(rules.read, `${path}.read`),
    write,
    // Deleting is a kind of writing unless said otherwise.
    delete: rules.delete === undefined ? write : prefixList(rules.delete, `${path}.delete`),
  };
}

export function parseAuthSettings(value: unknown): AuthSettings {
  const auth = requireObject(value, "auth");
  switch (auth.mode) {
    case "iam":
    case "public":
      return { mode: auth.mode };
    case "jwt": {
      const jwksUrl = requireString(auth, "auth.", "jwksUrl");
      if (!/^https?:\/\//.test(jwksUrl)) {
        throw new ConfigError(`[auth.jwksUrl] must be an http(s) URL, got ${JSON.stringify(jwksUrl)}`);
      }
      const algorithms = auth.algorithms === undefined ? DEFAULT_JWT_ALGORITHMS : auth.algorithms;
      if (
        !Array.isArray(algorithms) ||
        algorithms.length === 0 ||
        algorithms.some((a) => typeof a !== "string" || !DEFAULT_JWT_ALGORITHMS.includes(a))
      ) {
        throw new ConfigError(
          `[auth.algorithms] must be a non-empty subset of ${DEFAULT_JWT_ALGORITHMS.join(", ")}, got ${JSON.stringify(algorithms)}`,
        );
      }
      return {
        mode: "jwt",
        issuer: requireString(auth, "auth.", "issuer"),
        audience: requireString(auth, "auth.", "audience"),
        jwksUrl,
        algorithms: algorithms as string[],
        rules: parseAccessRules(auth.rules ?? {}, "auth.rules"),
        scopes: parseJwtScopes(auth.scopes),
      };
    }
    default:
      throw new ConfigError(`[auth.mode] must be one of iam, jwt, public, got ${JSON.stringify(auth.mode)}`);
  }
}

function parseJwtScopes(value: unknown): JwtScopes {
  if (value === undefined) return DEFAULT_JWT_SCOPES;
  const scopes = requireObject(value, "auth.scopes");
  const parsed: Record<string, string> = { ...DEFAULT_JWT_SCOPES };
  for (const action of Object.keys(scopes)) {
    if (!["read", "write", "delete", "purge"].includes(action)) {
      throw new ConfigError(
        `[auth.scopes] names read, write, delete or purge, got ${JSON.stringify(action)}`,
      );
    }
    parsed[action] = requireString(scopes, "auth.scopes.", action);
  }
  return parsed;
}

/** `type/subtype` or `type/*`, as allowed content types are written. */
export const MEDIA_RANGE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/;

/** `path` prefixes the names in error messages: `uploads.` in the handler's config, none for the component's args. */
export function parseUploadLimits(value: unknown, path = "uploads."): UploadLimits {
  if (value === undefined) return DEFAULT_UPLOAD_LIMITS;
  const uploads = requireObject(value, "uploads");
  const max = uploads.maxUploadBytes ?? DEFAULT_UPLOAD_LIMITS.maxUploadBytes;
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1 || max > S3_LIMITS.objectBytes) {
    throw new ConfigError(
      `[${path}maxUploadBytes] must be between 1 and ${S3_LIMITS.objectBytes}, got ${JSON.stringify(max)}`,
    );
  }
  const types = uploads.allowedContentTypes ?? [];
  if (!Array.isArray(types) || types.some((t) => typeof t !== "string" || !MEDIA_RANGE.test(t))) {
    throw new ConfigError(
      `[${path}allowedContentTypes] must be lower-case type/subtype or type/* entries, got ${JSON.stringify(types)}`,
    );
  }
  const partSize = uploads.partSizeBytes ?? DEFAULT_UPLOAD_LIMITS.partSizeBytes;
  if (
    typeof partSize !== "number" ||
    !Number.isSafeInteger(partSize) ||
    partSize < S3_LIMITS.minPartBytes ||
    partSize > S3_LIMITS.maxPartBytes
  ) {
    throw new ConfigError(
      `[${path}partSizeBytes] must be between ${S3_LIMITS.minPartBytes} and ${S3_LIMITS.maxPartBytes}, got ${JSON.stringify(partSize)}`,
    );
  }
  const requireChecksum = uploads.requireChecksum ?? DEFAULT_UPLOAD_LIMITS.requireChecksum;
  if (typeof requireChecksum !== "boolean") {
    throw new ConfigError(
      `[${path}requireChecksum] must be true or false, got ${JSON.stringify(requireChecksum)}`,
    );
  }
  const metadata = uploads.allowedMetadata ?? [];
  if (!Array.isArray(metadata) || metadata.some((n) => typeof n !== "string" || !METADATA_NAME.test(n))) {
    throw new ConfigError(
      `[${path}allowedMetadata] must be lower-case metadata names without x-amz-meta-, got ${JSON.stringify(metadata)}`,
    );
  }
  return {
    maxUploadBytes: max,
    allowedContentTypes: types as string[],
    partSizeBytes: partSize,
    requireChecksum,
    allowedMetadata: metadata as string[],
  };
}

function secondsIn(config: Json, name: string, fallback: number, max: number): number {
  const value = config[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`[${name}] must be between 1 and ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export interface ExpiryLimits {
  readonly expirySeconds: number;
  readonly maxReadExpirySeconds: number;
  readonly maxWriteExpirySeconds: number;
}

/** The URL lifetimes: the default one, at most the longest a read may ask for, and the write limit. */
export function parseExpiryLimits(config: Readonly<Record<string, unknown>>): ExpiryLimits {
  const expirySeconds = config.expirySeconds;
  if (
    typeof expirySeconds !== "number" ||
    !Number.isInteger(expirySeconds) ||
    expirySeconds < 1 ||
    expirySeconds > MAX_EXPIRY_SECONDS
  ) {
    throw new ConfigError(
      `[expirySeconds] must be between 1 and ${MAX_EXPIRY_SECONDS}, got ${JSON.stringify(expirySeconds)}`,
    );
  }
  const maxReadExpirySeconds = secondsIn(
    config,
    "maxReadExpirySeconds",
    DEFAULT_MAX_READ_EXPIRY_SECONDS,
    MAX_EXPIRY_SECONDS,
  );
  const maxWriteExpirySeconds = secondsIn(
    config,
    "maxWriteExpirySeconds",
    DEFAULT_MAX_WRITE_EXPIRY_SECONDS,
    MAX_WRITE_EXPIRY_SECONDS,
  );
  if (expirySeconds > maxReadExpirySeconds) {
    throw new ConfigError(
      `[expirySeconds] must not exceed maxReadExpirySeconds (${maxReadExpirySeconds}), got ${expirySeconds}`,
    );
  }
  return { expirySeconds, maxReadExpirySeconds, maxWriteExpirySeconds };
}

export function parseHandlerConfig(value: unknown): HandlerConfig {
  const config = requireObject(value, "config");
  const s3 = requireObject(config.s3, "s3");
  const { expirySeconds, maxReadExpirySeconds, maxWriteExpirySeconds } = parseExpiryLimits(config);
  const hashAlgorithm = config.hashAlgorithm ?? "SHA256";
  if (hashAlgorithm !== "SHA1" && hashAlgorithm !== "SHA256") {
    throw new ConfigError(`[hashAlgorithm] must be SHA1 or SHA256, got ${JSON.stringify(hashAlgorithm)}`);
  }
  const cdnBaseUrl = requireString(config, "", "cdnBaseUrl").replace(/\/+$/, "");
  return {
    s3: {
      bucket: requireString(s3, "s3.", "bucket"),
      region: requireString(s3, "s3.", "region"),
      ...(s3.endpoint === undefined ? {} : { endpoint: requireString(s3, "s3.", "endpoint") }),
      // The partition's DNS suffix (amazonaws.com.cn in China), from the stack.
      ...(s3.dnsSuffix === undefined ? {} : { dnsSuffix: requireString(s3, "s3.", "dnsSuffix") }),
    },
    cdnBaseUrl,
    keyPairId: requireString(config, "", "keyPairId"),
    hashAlgorithm,
    expirySeconds,
    maxReadExpirySeconds,
    maxWriteExpirySeconds,
    auth: parseAuthSettings(config.auth ?? { mode: "iam" }),
    publicReadPrefixes: prefixList(config.publicReadPrefixes, "publicReadPrefixes"),
    uploads: parseUploadLimits(config.uploads),
    cdn: parseCdnTarget(config.cdn),
  };
}

function parseCdnTarget(value: unknown): CdnTarget {
  const cdn = requireObject(value, "cdn");
  const apiEndpoint = cdn.apiEndpoint === undefined ? undefined : requireString(cdn, "cdn.", "apiEndpoint");
  if (apiEndpoint !== undefined && !/^https?:\/\//.test(apiEndpoint)) {
    throw new ConfigError(`[cdn.apiEndpoint] must be an http(s) URL, got ${JSON.stringify(apiEndpoint)}`);
  }
  return {
    distributionId: requireString(cdn, "cdn.", "distributionId"),
    ...(apiEndpoint === undefined ? {} : { apiEndpoint: apiEndpoint.replace(/\/+$/, "") }),
  };
}
