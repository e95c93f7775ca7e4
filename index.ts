import * as pulumi from "@pulumi/pulumi";
import {
  type AuthArgs,
  type EncryptionArgs,
  jwtScopesFromConfig,
  SignedFileStore,
  type SignedFileStoreArgs,
  signingKeysFromConfig,
} from "./components";

const config = new pulumi.Config();

function authFromConfig(): AuthArgs {
  const mode = config.get("authMode") ?? "iam";
  if (mode !== "jwt") return { mode } as AuthArgs;
  const scopes = jwtScopesFromConfig(config.getObject<string[]>("jwtScopes") ?? []);
  return {
    mode,
    issuer: config.require("jwtIssuer"),
    audience: config.require("jwtAudience"),
    jwksUrl: config.require("jwtJwksUrl"),
    rules: {
      read: config.getObject<string[]>("jwtReadPrefixes") ?? ["{sub}/"],
      write: config.getObject<string[]>("jwtWritePrefixes") ?? ["{sub}/"],
    },
    ...(scopes ? { scopes } : {}),
  };
}

function encryptionFromConfig(): EncryptionArgs {
  const mode = config.get("encryption") ?? "sse-s3";
  const kmsKeyArn = config.get("encryptionKmsKeyArn");
  if (mode !== "sse-kms") return { mode } as EncryptionArgs;
  return kmsKeyArn ? { mode, kmsKeyArn } : { mode };
}

const errorRatePercent = config.getNumber("errorRateAlarmPercent");
const certificateArn = config.get("certificateArn");
const rotationDays = config.getNumber("signingKeyRotationDays") || undefined;
const aliases = config.getObject<string[]>("customDomainAliases") ?? [];

const args: SignedFileStoreArgs = {
  expirySeconds: config.getNumber("expirySeconds"),
  maxReadExpirySeconds: config.getNumber("maxReadExpirySeconds"),
  maxWriteExpirySeconds: config.getNumber("maxWriteExpirySeconds"),
  auth: authFromConfig(),
  publicReadPrefixes: config.getObject<string[]>("publicReadPrefixes"),
  // Rotation without a broken URL: add a key, deploy; make it active, deploy; remove the old one
  // once every URL it signed has expired (maxReadExpirySeconds), deploy.
  // Or on a schedule: signingKeyRotationDays names its own keys.
  ...(rotationDays
    ? {
        signingKeyRotationDays: rotationDays,
        signingKeyAlgorithm: config.get("signingKeyAlgorithm") as SignedFileStoreArgs["signingKeyAlgorithm"],
      }
    : {
        signingKeys: signingKeysFromConfig(
          config.getObject<string[]>("signingKeys") ?? ["primary"],
          config.get("signingKeyAlgorithm") ?? "ecdsa-p256",
        ),
        activeSigningKey: config.get("activeSigningKey") || undefined,
      }),
  priceClass: config.get("priceClass") as SignedFileStoreArgs["priceClass"],
  customDomain: certificateArn ? { certificateArn, aliases } : undefined,
  noncurrentVersionExpirationDays: config.getNumber("noncurrentVersionExpirationDays"),
  abortIncompleteMultipartUploadDays: config.getNumber("abortIncompleteMultipartUploadDays"),
  forceDestroy: config.getBoolean("forceDestroy"),
  memorySize: config.getNumber("memorySize"),
  timeoutSeconds: config.getNumber("timeoutSeconds"),
  logRetentionDays: config.getNumber("logRetentionDays"),
  tags: { project: pulumi.getProject(), stack: pulumi.getStack() },
  maxUploadBytes: config.getNumber("maxUploadBytes"),
  allowedContentTypes: config.getObject<string[]>("allowedContentTypes"),
  partSizeBytes: config.getNumber("partSizeBytes"),
  requireChecksum: config.getBoolean("requireChecksum"),
  allowedMetadata: config.getObject<string[]>("allowedMetadata"),
  cors: { allowedOrigins: config.getObject<string[]>("corsAllowedOrigins") ?? [] },
  denyDirectReads: config.getBoolean("denyDirectReads"),
  directReadPrincipalArns: config.getObject<string[]>("directReadPrincipalArns"),
  encryption: encryptionFromConfig(),
  events: config.getBoolean("events"),
  // 0 is the schema's "not set" for both.
  reservedConcurrency: config.getNumber("reservedConcurrency") || undefined,
  errorRateAlarm: errorRatePercent
    ? { threshold: errorRatePercent / 100, actions: config.getObject<string[]>("alarmActions") ?? [] }
    : undefined,
};

// The same name in every stack, so `pulumi stack rename` keeps every resource. Stacks created before
// were named after their stack; the alias moves them to this name (their children, whose names start
// with the component's, follow: Pulumi docs, "Resource option: aliases"), and the component keeps
// every physical name as created, so nothing is replaced.
const store = new SignedFileStore("files", args, { aliases: [{ name: `files-${pulumi.getStack()}` }] });

export const apiUrl = store.apiUrl;
export const cdnDomainName = store.cdnDomainName;
export const bucketName = store.bucketName;
export const distributionId = store.distributionId;
export const keyGroupId = store.keyGroupId;
export const functionName = store.functionName;
export const invokePolicy = store.invokePolicy;
