import type { S3Client } from "@aws-sdk/client-s3";
import { ServiceUnavailable } from "../api/http-error";
import type { CredentialsProvider, S3Target } from "../signers/s3-presigner";

/** `@aws-sdk/client-s3` itself, for its command classes. */
export type S3Sdk = typeof import("@aws-sdk/client-s3");

export interface LoadedS3 {
  readonly client: S3Client;
  readonly sdk: S3Sdk;
  readonly bucket: string;
}

export type LazyS3 = () => Promise<LoadedS3>;

/**
 * One S3 client per target and credentials, created on the first call that needs it. client-s3 is
 * most of what the function would otherwise load at start, and a presigned PUT or a CloudFront GET
 * never needs it: loading it here, by a dynamic import that components/bundle/function-bundle.ts builds as a file
 * of its own, keeps it out of every cold start that does not call S3 through the client.
 */
export function lazyS3Client(target: S3Target, credentials: CredentialsProvider): LazyS3 {
  let byTarget = shared.get(credentials);
  if (!byTarget) {
    byTarget = new Map();
    shared.set(credentials, byTarget);
  }
  const id = `${target.region} ${target.endpoint ?? ""} ${target.bucket}`;
  let lazy = byTarget.get(id);
  if (!lazy) {
    lazy = load(target, credentials);
    byTarget.set(id, lazy);
  }
  return lazy;
}

const CONNECT_TIMEOUT_MS = 3000;

/**
 * The whole of a call that S3 answers in well under a second when it is up (listing, ListParts,
 * creating, aborting, deleting), retries included. An S3 that accepts the connection but does not
 * answer would otherwise hold the request until the function's own timeout, a 502 with nothing said.
 */
export const QUICK_CALL_MS = 10_000;

/** A fresh deadline for one call: the signal aborts the call once the deadline has passed. */
export type Deadline = () => AbortSignal;

export const QUICK_CALL_DEADLINE: Deadline = () => AbortSignal.timeout(QUICK_CALL_MS);

/** Send options for a quick call: a fresh deadline each time, past which it is a 503 (AbortError). */
export function quickCall(deadline: Deadline = QUICK_CALL_DEADLINE): { abortSignal: AbortSignal } {
  return { abortSignal: deadline() };
}

const shared = new WeakMap<CredentialsProvider, Map<string, LazyS3>>();

function load(target: S3Target, credentials: CredentialsProvider): LazyS3 {
  let loading: Promise<LoadedS3> | undefined;
  return () => {
    loading ??= import("@aws-sdk/client-s3")
      .then((sdk) => ({
        sdk,
        bucket: target.bucket,
        // Checksums only where S3 requires them: the SDK's WHEN_SUPPORTED default would make every
        // multipart upload a CRC32 one (CreateMultipartUpload records the algorithm), and parts sent
        // through presigned URLs carry no checksum.
        client: new sdk.S3Client({
          region: target.region,
          credentials,
          ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
          maxAttempts: 3,
          // No request timeout for every call: CompleteMultipartUpload and CopyObject may take S3
          // minutes (quick calls set their own, quickCall). A connection that cannot be made in
          // seconds, though, is storage that is down, and answers 503 before the function's timeout.
          requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
        }),
      }))
      .catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
    return loading;
  };
}

/**
 * S3's error code when S3 answered with one: the SDK names its errors after the code, and marks
 * them with `$metadata`, so no `instanceof` needs client-s3 loaded.
 */
export function s3ErrorCode(error: unknown): string | undefined {
  return error instanceof Error && "$metadata" in error ? error.name : undefined;
}

/** Network errors Node reports by code when the storage cannot be reached or stops answering. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
]);

/** S3's own "try again" answers (Amazon S3 API Reference, "Error responses"). */
const RETRY_LATER_CODES = new Set(["SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError"]);

/**
 * Whether an S3 call failed because storage is down or overloaded rather than because of the
 * request: the SDK has already retried (maxAttempts), so the caller gets a 503 to retry later.
 */
export function storageUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    cause?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if (typeof e.code === "string" && UNREACHABLE_CODES.has(e.code)) return true;
  if (e.name === "TimeoutError" || e.name === "AbortError") return true;
  if (typeof e.name === "string" && RETRY_LATER_CODES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === 500 || status === 502 || status === 503 || status === 504) return true;
  return e.cause !== undefined && e.cause !== error && storageUnavailable(e.cause);
}

/** Rethrows storage outages as a 503 with Retry-After, anything else unchanged. */
export function rethrowUnavailable(error: unknown): never {
  if (storageUnavailable(error)) {
    throw new ServiceUnavailable("the storage service is unavailable; try again later", 5, error);
  }
  throw error;
}
