import { createPrivateKey } from "node:crypto";
import type { CloudFrontSigningKey } from "./cloudfront-signer";
import type { ParameterReader } from "./ssm-parameter";

/**
 * The key's parameter value: either JSON `{ "keyPairId": "...", "privateKeyPem": "...",
 * "retiresAt"?: "ISO 8601" }`, so that the public key's ID, the private key and the key's retirement
 * change together in one write (a cold start between two writes could otherwise pair a new key with
 * an old ID), or a bare PEM with the ID from the config.
 */
export function parseSigningKeyValue(value: string, configuredKeyPairId: string): CloudFrontSigningKey {
  const text = value.trim();
  if (!text.startsWith("{")) return { keyPairId: configuredKeyPairId, privateKey: createPrivateKey(text) };
  let parsed: { keyPairId?: unknown; privateKeyPem?: unknown; retiresAt?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Error("the signing key parameter starts with { but is not JSON");
  }
  const { keyPairId, privateKeyPem } = parsed;
  if (typeof keyPairId !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(keyPairId)) {
    throw new Error("the signing key parameter's keyPairId must be a CloudFront public key ID");
  }
  if (typeof privateKeyPem !== "string" || privateKeyPem === "") {
    throw new Error("the signing key parameter's privateKeyPem must be a PEM string");
  }
  const { retiresAt } = parsed;
  const retiresMs = typeof retiresAt === "string" ? Date.parse(retiresAt) : Number.NaN;
  if (retiresAt !== undefined && !Number.isFinite(retiresMs)) {
    throw new Error("the signing key parameter's retiresAt must be an ISO 8601 date");
  }
  return {
    keyPairId,
    privateKey: createPrivateKey(privateKeyPem),
    ...(retiresAt === undefined ? {} : { retiresAt: Math.floor(retiresMs / 1000) }),
  };
}

/**
 * How long a read of the parameter is trusted. A store sharing an account's signing identity
 * (SignedFileStoreAccount) sees that account rotate in another deploy than its own, so a warm
 * function must notice the new key without a redeploy of the store; the old key stays in the key
 * group for two periods, far longer than this.
 */
export const SIGNING_KEY_REFRESH_MS = 10 * 60_000;

/**
 * Reads the active signing key from an SSM SecureString and keeps the parsed KeyObject, reading it
 * again in the background once `refreshMs` has passed (the request that notices it is served with
 * the key it has; a failed refresh keeps that key and is tried again on a later request). A failed
 * first read is not cached, so the next request tries again instead of failing for the life of the
 * execution environment. SSM being unreachable surfaces as the reader's ServiceUnavailable (503).
 */
export function ssmSigningKey(
  parameterName: string,
  keyPairId: string,
  read: ParameterReader,
  clock: () => number = Date.now,
  refreshMs = SIGNING_KEY_REFRESH_MS,
): () => Promise<CloudFrontSigningKey> {
  let cached: Promise<CloudFrontSigningKey> | undefined;
  let readAt = 0;
  let refreshing = false;
  const load = () => read(parameterName).then((value) => parseSigningKeyValue(value, keyPairId));
  return () => {
    if (cached === undefined) {
      readAt = clock();
      cached = load().catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
    } else if (!refreshing && clock() - readAt >= refreshMs) {
      refreshing = true;
      const current = cached;
      current
        .then(() => load())
        .then(
          (key) => {
            cached = Promise.resolve(key);
            readAt = clock();
          },
          () => {
            // SSM is down: keep the key, and ask again in half a minute rather than on every request.
            readAt = clock() - refreshMs + 30_000;
          },
        )
        .finally(() => {
          refreshing = false;
        });
    }
    return cached;
  };
}

/** Lambda puts the execution role's credentials in the environment and keeps them current there. */
export async function environmentCredentials() {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = process.env;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) throw new Error("no AWS credentials in the environment");
  return {
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
  };
}
