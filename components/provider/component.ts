import * as pulumi from "@pulumi/pulumi";
import type { AuthArgs, EncryptionArgs, LambdaRuntime, PriceClass, SignedFileStoreArgs } from "../args/types";
import { SignedFileStore as Store } from "../signed-file-store";
import {
  type Auth,
  AuthMode,
  type Encryption,
  EncryptionMode,
  type SharedSigning,
  type SignedFileStoreComponentArgs,
} from "./args";
import { fail, plainArgs, signingArgs } from "./plain-args";

export * from "./args";

/**
 * A private bucket, a CloudFront distribution that only serves signed URLs, and a Lambda function
 * URL that decides who may do what to which key and answers with a 307 to a signed URL.
 */
export class SignedFileStore extends pulumi.ComponentResource {
  /** The API's base URL (the function URL), ending in `/`. */
  readonly apiUrl: pulumi.Output<string>;
  /** The host name signed download URLs use: the first custom alias, or the distribution's. */
  readonly cdnDomainName: pulumi.Output<string>;
  /** The private bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** The private bucket's ARN. */
  readonly bucketArn: pulumi.Output<string>;
  /** The CloudFront distribution's ID. */
  readonly distributionId: pulumi.Output<string>;
  /** The CloudFront distribution's ARN. */
  readonly distributionArn: pulumi.Output<string>;
  /** The ID of the key group every behavior trusts. */
  readonly keyGroupId: pulumi.Output<string>;
  /** The signing function's name. */
  readonly functionName: pulumi.Output<string>;
  /** The signing function's ARN. */
  readonly functionArn: pulumi.Output<string>;
  /** The ARN of the function's execution role, for policies attached outside the component. */
  readonly roleArn: pulumi.Output<string>;
  /** CloudFront public key IDs by signing key name. */
  readonly publicKeyIds: pulumi.Output<Record<string, string>>;
  /** The SSM parameter that holds the active signing key. */
  readonly signingKeyParameterName: pulumi.Output<string>;
  /** For auth mode `iam`: the identity policy callers need. */
  readonly invokePolicy: pulumi.Output<string>;

  /**
   * The same resources as the TypeScript `SignedFileStore`, which this one holds as its only child
   * under the same name, so a stack gets the same physical names whichever language declares it.
   */
  constructor(name: string, args: SignedFileStoreComponentArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("signed-file-store:index:SignedFileStore", name, {}, opts);
    const store = new Store(name, toStoreArgs(args ?? {}), { parent: this });

    this.apiUrl = store.apiUrl;
    this.cdnDomainName = store.cdnDomainName;
    this.bucketName = store.bucketName;
    this.bucketArn = store.bucket.arn;
    this.distributionId = store.distributionId;
    this.distributionArn = store.distribution.arn;
    this.keyGroupId = store.keyGroupId;
    this.functionName = store.functionName;
    this.functionArn = store.function.arn;
    this.roleArn = store.role.arn;
    this.publicKeyIds = store.publicKeyIds;
    this.signingKeyParameterName = store.signingKeyParameterName;
    this.invokePolicy = store.invokePolicy;
    this.registerOutputs({
      apiUrl: this.apiUrl,
      cdnDomainName: this.cdnDomainName,
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      distributionId: this.distributionId,
      distributionArn: this.distributionArn,
      keyGroupId: this.keyGroupId,
      functionName: this.functionName,
      functionArn: this.functionArn,
      roleArn: this.roleArn,
      publicKeyIds: this.publicKeyIds,
      signingKeyParameterName: this.signingKeyParameterName,
      invokePolicy: this.invokePolicy,
    });
  }
}

function toAuth(auth: Auth | undefined): AuthArgs | undefined {
  if (auth === undefined) return undefined;
  const { mode, issuer, audience, jwksUrl, readPrefixes, writePrefixes, deletePrefixes, algorithms, scopes } =
    auth;
  if (mode === AuthMode.Jwt) {
    // resolveArgs names a missing issuer, audience or jwksUrl in its own words.
    return {
      mode: "jwt",
      issuer: issuer as string,
      audience: audience as string,
      jwksUrl: jwksUrl as string,
      rules: { read: readPrefixes, write: writePrefixes, delete: deletePrefixes },
      algorithms,
      ...(scopes === undefined ? {} : { scopes }),
    };
  }
  const jwtOnly = {
    issuer,
    audience,
    jwksUrl,
    readPrefixes,
    writePrefixes,
    deletePrefixes,
    algorithms,
    scopes,
  };
  for (const [field, value] of Object.entries(jwtOnly)) {
    if (value !== undefined) fail(`auth.${field}`, 'only applies with auth mode "jwt"', value);
  }
  // Any other mode reaches resolveArgs, which accepts iam and public and names the arg otherwise:
  // languages other than TypeScript may send any string.
  return { mode } as AuthArgs;
}

function toEncryption(encryption: Encryption | undefined): EncryptionArgs | undefined {
  if (encryption === undefined) return undefined;
  const { mode, kmsKeyArn } = encryption;
  if (mode === EncryptionMode.SseKms) {
    return kmsKeyArn === undefined ? { mode: "sse-kms" } : { mode: "sse-kms", kmsKeyArn };
  }
  if (kmsKeyArn !== undefined) fail("encryption.kmsKeyArn", 'only applies with mode "sse-kms"', kmsKeyArn);
  return { mode } as EncryptionArgs;
}

/**
 * The account's outputs pass through as they are; its longest read URL must be a plain number, as
 * the store checks its own `maxReadExpirySeconds` against it before anything is deployed.
 */
function toShared(shared: SharedSigning | undefined): SignedFileStoreArgs["shared"] {
  if (shared === undefined) return undefined;
  const { maxReadExpirySeconds } = shared;
  if (typeof maxReadExpirySeconds !== "number") {
    fail(
      "shared.maxReadExpirySeconds",
      "must be a plain number known before deployment (the account's own maxReadExpirySeconds)",
      pulumi.Output.isInstance(maxReadExpirySeconds) ? "output" : maxReadExpirySeconds,
    );
  }
  return { ...shared, maxReadExpirySeconds };
}

/**
 * Every key of `SignedFileStoreArgs` is listed, so an arg added there fails to compile here until
 * the schema carries it too. Enums are cast unchecked: `resolveArgs` checks every value, as other
 * languages may send any string.
 */
export function toStoreArgs(input: SignedFileStoreComponentArgs): SignedFileStoreArgs {
  const args = plainArgs(input);
  const mapped: { [K in keyof Required<SignedFileStoreArgs>]: SignedFileStoreArgs[K] } = {
    expirySeconds: args.expirySeconds,
    maxReadExpirySeconds: args.maxReadExpirySeconds,
    maxWriteExpirySeconds: args.maxWriteExpirySeconds,
    auth: toAuth(args.auth),
    publicReadPrefixes: args.publicReadPrefixes,
    shared: toShared(args.shared),
    ...signingArgs(args),
    hashAlgorithm: args.hashAlgorithm as SignedFileStoreArgs["hashAlgorithm"],
    versioning: args.versioning,
    noncurrentVersionExpirationDays: args.noncurrentVersionExpirationDays,
    abortIncompleteMultipartUploadDays: args.abortIncompleteMultipartUploadDays,
    forceDestroy: args.forceDestroy,
    priceClass: args.priceClass as PriceClass | undefined,
    customDomain: args.customDomain,
    memorySize: args.memorySize,
    timeoutSeconds: args.timeoutSeconds,
    logRetentionDays: args.logRetentionDays,
    runtime: args.runtime as LambdaRuntime | undefined,
    tags: args.tags,
    maxUploadBytes: args.maxUploadBytes,
    allowedContentTypes: args.allowedContentTypes,
    partSizeBytes: args.partSizeBytes,
    requireChecksum: args.requireChecksum,
    allowedMetadata: args.allowedMetadata,
    cors: args.cors,
    denyDirectReads: args.denyDirectReads,
    directReadPrincipalArns: args.directReadPrincipalArns,
    encryption: toEncryption(args.encryption),
    events: args.events,
    reservedConcurrency: args.reservedConcurrency,
    errorRateAlarm: args.errorRateAlarm,
  };
  // Unset args stay absent, as a TypeScript program would leave them.
  return Object.fromEntries(
    Object.entries(mapped).filter(([, value]) => value !== undefined),
  ) as SignedFileStoreArgs;
}
