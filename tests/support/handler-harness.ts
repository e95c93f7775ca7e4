import { DEFAULT_UPLOAD_LIMITS } from "../../functions/api/upload-rules";
import type { HandlerConfig } from "../../functions/config";
import { createHandler, type FunctionUrlHandler, type HandlerDeps } from "../../functions/handler";
import { jsonLogger } from "../../functions/telemetry/log";
import { ecdsaKey, type TestKeyPair } from "./keys";
import { everyKeyExists } from "./objects";

export const NOW = new Date("2026-11-22T10:00:00.250Z");
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "session/token+=",
};
export const BUCKET = "files-bucket-1234";
export const REGION = "eu-west-1";

export function baseConfig(overrides: Partial<HandlerConfig> = {}): HandlerConfig {
  return {
    s3: { bucket: BUCKET, region: REGION },
    cdnBaseUrl: "https://d111111abcdef8.cloudfront.net",
    keyPairId: "K2JCJMDEHXQW5F",
    hashAlgorithm: "SHA256",
    expirySeconds: 300,
    maxReadExpirySeconds: 86_400,
    maxWriteExpirySeconds: 3_600,
    auth: { mode: "public" },
    publicReadPrefixes: [],
    uploads: DEFAULT_UPLOAD_LIMITS,
    cdn: { distributionId: "E2QWRUHAPOMQZL" },
    ...overrides,
  };
}

export interface Harness {
  readonly handle: FunctionUrlHandler;
  readonly lines: Array<Record<string, unknown>>;
}

export function harness(
  config: HandlerConfig,
  key: TestKeyPair = ecdsaKey,
  extra: Partial<HandlerDeps> = {},
): Harness {
  const lines: Array<Record<string, unknown>> = [];
  // The lines as the function writes them, parsed back: what CloudWatch and its metric filters read.
  const log = jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const handle = createHandler({
    config,
    signingKey: async () => ({ keyPairId: config.keyPairId, privateKey: key.privateKey }),
    credentials: async () => CREDENTIALS,
    clock: () => NOW,
    log,
    objects: everyKeyExists,
    ...extra,
  });
  return { handle, lines };
}
