import { createPrivateKey } from "node:crypto";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { CloudFrontSigningKey } from "./cloudfront-signer";

/**
 * Reads the active signing key's PEM from an SSM SecureString once and keeps the parsed KeyObject.
 * A failed read is not cached, so the next request tries again instead of failing for the life of
 * the execution environment.
 */
export function ssmSigningKey(
  parameterName: string,
  keyPairId: string,
  client: Pick<SSMClient, "send"> = new SSMClient({}),
): () => Promise<CloudFrontSigningKey> {
  let cached: Promise<CloudFrontSigningKey> | undefined;
  return () => {
    cached ??= (async () => {
      const answer = await client.send(
        new GetParameterCommand({ Name: parameterName, WithDecryption: true }),
      );
      const pem = answer.Parameter?.Value;
      if (!pem) throw new Error(`SSM parameter ${parameterName} has no value`);
      return { keyPairId, privateKey: createPrivateKey(pem) };
    })().catch((error: unknown) => {
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
