import { createPrivateKey } from "node:crypto";
import type { CloudFrontSigningKey } from "./cloudfront-signer";
import type { ParameterReader } from "./ssm-parameter";

/**
 * The key's parameter value: either JSON `{ "keyPairId": "...", "privateKeyPem": "..." }`, so that
 * the public key's ID and the private key change together in one write (a cold start between two
 * writes could otherwise pair a new key with an old ID), or a bare PEM with the ID from the config.
 */
export function parseSigningKeyValue(value: string, configuredKeyPairId: string): CloudFrontSigningKey {
  const text = value.trim();
  if (!text.startsWith("{")) return { keyPairId: configuredKeyPairId, privateKey: createPrivateKey(text) };
  let parsed: { keyPairId?: unknown; privateKeyPem?: unknown };
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
  return { keyPairId, privateKey: createPrivateKey(privateKeyPem) };
}

/**
 * Reads the active signing key from an SSM SecureString once and keeps the parsed KeyObject.
 * A failed read is not cached, so the next request tries again instead of failing for the life of
 * the execution environment. SSM being unreachable surfaces as the reader's ServiceUnavailable (503).
 */
export function ssmSigningKey(
  parameterName: string,
  keyPairId: string,
  read: ParameterReader,
): () => Promise<CloudFrontSigningKey> {
  let cached: Promise<CloudFrontSigningKey> | undefined;
  return () => {
    cached ??= read(parameterName)
      .then((value) => parseSigningKeyValue(value, keyPairId))
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
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
