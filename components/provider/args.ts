/*
 * The component's args as programs in Python, Go, .NET and YAML see them (`pulumi package add`).
 * Pulumi's schema analyzer (@pulumi/pulumi/provider/experimental/analyzer.js) turns these interfaces
 * into the package schema; it reads plain interfaces, arrays, string maps, the primitive types and
 * `enum`s, and throws on every other union (a tagged union such as `AuthArgs`, or a union of string
 * literals declared as a type alias), so the modes are one interface each with the mode an `enum`.
 * The doc comments are the schema's descriptions.
 */

import type * as pulumi from "@pulumi/pulumi";

/** How callers authenticate. */
export enum AuthMode {
  /** The function URL's auth type is AWS_IAM: callers sign with SigV4. */
  Iam = "iam",
  /** Bearer tokens verified against an issuer's key set. */
  Jwt = "jwt",
  /** Anyone may read and write (demos only). */
  Public = "public",
}

/** A CloudFront key pair's algorithm. */
export enum KeyAlgorithm {
  /** ECDSA P-256: shorter URLs, faster signing. */
  EcdsaP256 = "ecdsa-p256",
  /** RSA 2048-bit. */
  Rsa2048 = "rsa-2048",
}

/** How objects are encrypted at rest. */
export enum EncryptionMode {
  /** S3's own keys. */
  SseS3 = "sse-s3",
  /** A customer managed KMS key. */
  SseKms = "sse-kms",
}

/** Digest for CloudFront signatures. */
export enum HashAlgorithm {
  Sha1 = "SHA1",
  Sha256 = "SHA256",
}

/** CloudFront price class: the edge locations that serve downloads. */
export enum PriceClass {
  PriceClass100 = "PriceClass_100",
  PriceClass200 = "PriceClass_200",
  PriceClassAll = "PriceClass_All",
}

/** The function's Lambda runtime. */
export enum LambdaRuntime {
  Nodejs22 = "nodejs22.x",
  Nodejs24 = "nodejs24.x",
}

/** Who may call the API. */
export interface Auth {
  /**
   * `iam` (the default): the function URL's auth type is AWS_IAM and callers sign with SigV4. `jwt`:
   * bearer tokens verified against an issuer's key set. `public`: anyone may read and write (demos only).
   */
  readonly mode: AuthMode;
  /** jwt: the expected `iss` claim. */
  readonly issuer?: string;
  /** jwt: the expected `aud` claim. */
  readonly audience?: string;
  /** jwt: the issuer's JSON Web Key Set URL (https). */
  readonly jwksUrl?: string;
  /** jwt: key-prefix templates over token claims, each ending in `/`, that a caller may read. Default `{sub}/`. */
  readonly readPrefixes?: string[];
  /** jwt: key-prefix templates a caller may write. Default `{sub}/`. */
  readonly writePrefixes?: string[];
  /** jwt: key-prefix templates a caller may delete. Default the write prefixes. */
  readonly deletePrefixes?: string[];
  /** jwt: accepted JWS algorithms. Default every asymmetric one; `none` and HMAC are never accepted. */
  readonly algorithms?: string[];
  /** jwt: the scope a token's `scope` or `scp` claim must hold for each action. Default none, but `purge` for purges. */
  readonly scopes?: JwtScopes;
}

/** jwt: scopes a token must hold, per action, on top of the key-prefix rules. */
export interface JwtScopes {
  /** Scope reads need. Default none. */
  readonly read?: string;
  /** Scope writes need. Default none. */
  readonly write?: string;
  /** Scope deletes need. Default none. */
  readonly delete?: string;
  /** Scope a purge (every version deleted, the CDN's copies invalidated) needs besides the delete right. Default `purge`. */
  readonly purge?: string;
}

/**
 * A SignedFileStoreAccount's shared CDN policies and signing identity, as a store takes them: pass
 * the account's `shared` output.
 */
export interface SharedSigning {
  /** The account's cache policy ID. */
  readonly cachePolicyId: pulumi.Input<string>;
  /** The account's response headers policy ID. */
  readonly responseHeadersPolicyId: pulumi.Input<string>;
  /** The key group every store's distribution trusts. */
  readonly keyGroupId: pulumi.Input<string>;
  /** The ID of the public key that signs now. */
  readonly keyPairId: pulumi.Input<string>;
  /** The SSM SecureString holding the active signing key. */
  readonly signingKeyParameterName: pulumi.Input<string>;
  /** The parameter's ARN: the only parameter a store's function may read. */
  readonly signingKeyParameterArn: pulumi.Input<string>;
  /** The KMS key that encrypts the parameter: the only key a store's function may decrypt with. */
  readonly signingKeyKmsKeyArn: pulumi.Input<string>;
  /**
   * The longest read URL a store of the account may hand out, in seconds: a plain number when a
   * store is given it (the account's own maxReadExpirySeconds), so the store can check its own.
   */
  readonly maxReadExpirySeconds: pulumi.Input<number>;
}

/** One CloudFront key pair of the stack. */
export interface SigningKey {
  /** Stable name of this key pair in the stack (letters, digits, `-`). */
  readonly name: string;
  /** `ecdsa-p256` (the default: shorter URLs, faster signing) or `rsa-2048`. */
  readonly algorithm?: KeyAlgorithm;
}

/** Downloads from your own domain. */
export interface CustomDomain {
  /** ACM certificate ARN; CloudFront only takes certificates from us-east-1. */
  readonly certificateArn: string;
  /** Host names the distribution answers to; the first one is used in signed URLs. */
  readonly aliases: string[];
}

/** Browser access to the API and the bucket. */
export interface Cors {
  /** Browser origins (`https://app.example.com`) allowed to call the API and upload to the bucket. */
  readonly allowedOrigins: string[];
}

/** Encryption at rest. */
export interface Encryption {
  /** `sse-s3` (the default): S3's own keys. `sse-kms`: a customer managed KMS key. */
  readonly mode: EncryptionMode;
  /** sse-kms: a key you manage, by its ARN; default a key the stack creates. */
  readonly kmsKeyArn?: string;
}

/** A CloudWatch alarm on the share of API requests answered 5xx. */
export interface ErrorRateAlarm {
  /** Alarm above this share of 5xx answers, between 0 and 1 (0.05 = 5 %). */
  readonly threshold: number;
  /** Length of each evaluated period, a multiple of 60 seconds. Default 300. */
  readonly periodSeconds?: number;
  /** Consecutive periods above the threshold before the alarm fires. Default 1. */
  readonly evaluationPeriods?: number;
  /** ARNs notified when the alarm fires and when it clears (SNS topics, for example). Default none. */
  readonly actions?: string[];
}

/** Every arg is optional; the defaults are the safe choice. */
export interface SignedFileStoreComponentArgs {
  /** Default lifetime of signed URLs in seconds, at most maxReadExpirySeconds. Default 300. */
  readonly expirySeconds?: number;
  /** The longest read URL a caller may ask for with `?expires=` (share links), 1 to 604800. Default 86400. */
  readonly maxReadExpirySeconds?: number;
  /** The longest a write URL lives; it is signed with the function role's temporary credentials. Default and maximum 3600. */
  readonly maxWriteExpirySeconds?: number;
  /** Who may call the API. Default auth mode `iam`. */
  readonly auth?: Auth;
  /** Key prefixes (each ending in `/`) anyone may read without credentials; needs auth mode `jwt` or `public`. Default none. */
  readonly publicReadPrefixes?: string[];
  /**
   * A SignedFileStoreAccount's `shared` output: its CDN policies and signing identity replace the
   * store's own. With signingKeys too, those earlier keys stay trusted (none signs) while their URLs
   * expire. Default none.
   */
  readonly shared?: SharedSigning;
  /** The stack's CloudFront key pairs, all in the key group, so keys can be rotated. Default one ECDSA P-256 key named `primary`. */
  readonly signingKeys?: SigningKey[];
  /** Name of the key that signs. Default the first of signingKeys. */
  readonly activeSigningKey?: string;
  /**
   * Rotate the signing key every this many days, instead of naming keys in signingKeys: at each
   * `pulumi up` the current period's key signs, the keys of the two periods before it stay trusted
   * and those of the next two are published ahead. Run `pulumi up` at least once a period; the
   * period must cover maxReadExpirySeconds plus the window its expiry is rounded up to. Default none.
   */
  readonly signingKeyRotationDays?: number;
  /** Algorithm of the scheduled keys, `ecdsa-p256` or `rsa-2048`. Default `ecdsa-p256`. */
  readonly signingKeyAlgorithm?: KeyAlgorithm;
  /** Digest for CloudFront signatures, `SHA1` or `SHA256`. Default `SHA256`. */
  readonly hashAlgorithm?: HashAlgorithm;
  /** Keep overwritten and deleted objects as noncurrent versions. Default true. */
  readonly versioning?: boolean;
  /** Days before noncurrent versions expire. Default 30. */
  readonly noncurrentVersionExpirationDays?: number;
  /** Days before incomplete multipart uploads are aborted; until then they can be resumed. Default 7. */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Let `pulumi destroy` delete a bucket that still holds objects. Default false. */
  readonly forceDestroy?: boolean;
  /** CloudFront price class: `PriceClass_100`, `PriceClass_200` or `PriceClass_All`. Default `PriceClass_100`. */
  readonly priceClass?: PriceClass;
  /** Serve downloads from your own domain. Default the `*.cloudfront.net` name. */
  readonly customDomain?: CustomDomain;
  /** Function memory in MB, 128 to 10240. Default 256. */
  readonly memorySize?: number;
  /** Function timeout in seconds, 1 to 900. Default 60. */
  readonly timeoutSeconds?: number;
  /** Days the function's logs are kept, one of the periods CloudWatch Logs accepts. Default 30. */
  readonly logRetentionDays?: number;
  /** Lambda runtime, `nodejs22.x` or `nodejs24.x`. Default `nodejs24.x`. */
  readonly runtime?: LambdaRuntime;
  /** Tags for every taggable resource. */
  readonly tags?: Record<string, string>;
  /** Largest upload in bytes, single or multipart. Default S3's own limit, 5 TiB. */
  readonly maxUploadBytes?: number;
  /** Content types uploads may declare, `type/subtype` or `type/*`. Default any. */
  readonly allowedContentTypes?: string[];
  /** Part size offered to multipart clients, 5 MiB to 5 GiB. Default 8 MiB. */
  readonly partSizeBytes?: number;
  /** Refuse writes that do not declare the checksum of their bytes (x-amz-checksum-crc64nvme or -sha256). Default false. */
  readonly requireChecksum?: boolean;
  /** User metadata names (x-amz-meta-NAME, lower case) uploads may set; any other is refused. Default none. */
  readonly allowedMetadata?: string[];
  /** Browser origins allowed to call the API and upload to the bucket. Default none. */
  readonly cors?: Cors;
  /** Deny object reads in the bucket policy to every principal but the distribution and the function's role. Default true. */
  readonly denyDirectReads?: boolean;
  /** IAM role or user ARNs that may still read objects directly while denyDirectReads is on. Default none. */
  readonly directReadPrincipalArns?: string[];
  /** Encryption at rest. Default mode `sse-s3`. */
  readonly encryption?: Encryption;
  /** Send the bucket's events to the account's default EventBridge bus. Default false. */
  readonly events?: boolean;
  /** The most instances of the function that run at once; requests beyond are throttled (429). Default none. */
  readonly reservedConcurrency?: number;
  /** A CloudWatch alarm on the share of API requests answered 5xx. Default none. */
  readonly errorRateAlarm?: ErrorRateAlarm;
}

/** The account-wide half's args; every one is optional. */
export interface SignedFileStoreAccountComponentArgs {
  /** The longest read URL any store of the account may hand out, 1 to 604800 seconds; a rotation period must cover it. Default 86400. */
  readonly maxReadExpirySeconds?: number;
  /** The account's CloudFront key pairs, all in its key group. Default one ECDSA P-256 key named `primary`. */
  readonly signingKeys?: SigningKey[];
  /** Name of the key that signs. Default the first of signingKeys. */
  readonly activeSigningKey?: string;
  /** Rotate the shared signing key every this many days, as a store's own would. Default none. */
  readonly signingKeyRotationDays?: number;
  /** Algorithm of the scheduled keys, `ecdsa-p256` or `rsa-2048`. Default `ecdsa-p256`. */
  readonly signingKeyAlgorithm?: KeyAlgorithm;
  /** Tags for every taggable resource. */
  readonly tags?: Record<string, string>;
}
