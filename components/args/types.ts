/**
 * The component's args as callers write them, and as they are once resolved; resolve-args.ts
 * checks and resolves them.
 */

import type { UploadLimits } from "../../functions/api/upload-rules";
import type { AuthSettings, JwtScopes } from "../../functions/auth/settings";
import type {
  AccountSigning,
  OwnSigning,
  SharedSigning,
  SigningKeyAlgorithm,
  SigningKeyArgs,
} from "./signing-types";

export type { ResolvedAccountArgs, SignedFileStoreAccountArgs } from "./account-types";
export type {
  AccountSigning,
  OwnSigning,
  SharedSigning,
  SigningKeyAlgorithm,
  SigningKeyArgs,
} from "./signing-types";

export type PriceClass = "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
export type LambdaRuntime = "nodejs22.x" | "nodejs24.x";

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
  /**
   * Scopes a token's `scope` (space-separated) or `scp` (array) claim must hold, per action, on top
   * of the prefix rules. An action without one needs no scope, except purge, which needs `purge`
   * unless set here.
   */
  readonly scopes?: JwtScopes;
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
   * Use the account's shared CDN policies and signing identity (`SignedFileStoreAccount`'s
   * `shared`) instead of the store's own: the store then creates no cache policy, response headers
   * policy, key group, public key or signing secret. With `signingKeys` too, the store keeps those
   * keys in a key group of its own that its distribution still trusts (none signs), so URLs signed
   * before the move stay valid; deploy again without them once they have expired. Default none.
   */
  readonly shared?: SharedSigning;
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
   * combined with them): at each `pulumi up` the current period's key signs, the keys of the two
   * periods before it stay trusted and those of the two after it are published ahead. Run `pulumi
   * up` at least once a period (a scheduled deploy); the period must cover the longest read URL,
   * `maxReadExpirySeconds` plus the window its expiry is rounded up to. Default none.
   */
  readonly signingKeyRotationDays?: number;
  /** Algorithm of the scheduled keys. Default `ecdsa-p256`. */
  readonly signingKeyAlgorithm?: SigningKeyAlgorithm;
  /**
   * The deploy's clock, in milliseconds since the Unix epoch (or a Date), which the signing key schedule reads
   * once. Default `Date.now`. Tests and simulations of a schedule set it.
   */
  readonly clock?: () => number | Date;
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
   * Refuse a write (a single PUT or a part) whose caller does not declare the checksum of its bytes
   * (`x-amz-checksum-crc64nvme` or `x-amz-checksum-sha256`), which S3 then verifies; multipart
   * uploads are created with CRC64NVME. Default false.
   */
  readonly requireChecksum?: boolean;
  /**
   * User metadata names an upload may set as `x-amz-meta-NAME` (lower case, without the prefix),
   * signed into its URL and stored by S3 (at most 2 KB in all). Default none: any other
   * `x-amz-meta-*` header is refused with 400. Each name is admitted by the CORS rules too.
   */
  readonly allowedMetadata?: string[];
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
  readonly signing: OwnSigning | AccountSigning;
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
