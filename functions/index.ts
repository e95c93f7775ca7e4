import { CONFIG_ENV, parseHandlerConfig, SIGNING_KEY_PARAMETER_ENV } from "./config";
import { createHandler, type FunctionUrlHandler } from "./handler";
import type { FunctionUrlEvent, FunctionUrlResult } from "./http/function-url";
import { errorResponse } from "./http/responses";
import { environmentCredentials, ssmSigningKey } from "./signers/signing-key";
import { ssmReaderFromEnvironment } from "./signers/ssm-parameter";
import { jsonLogger } from "./telemetry/log";

const log = jsonLogger();
let instance: FunctionUrlHandler | undefined;

/** Configuration is read once per cold start, on the first request, so a bad value is a logged 500. */
function fromEnvironment(): FunctionUrlHandler {
  const config = parseHandlerConfig(JSON.parse(process.env[CONFIG_ENV] ?? "null"));
  const parameter = process.env[SIGNING_KEY_PARAMETER_ENV];
  if (!parameter) throw new Error(`${SIGNING_KEY_PARAMETER_ENV} is not set`);
  return createHandler({
    config,
    signingKey: ssmSigningKey(parameter, config.keyPairId, ssmReaderFromEnvironment(environmentCredentials)),
    credentials: environmentCredentials,
    log,
  });
}

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  try {
    instance ??= fromEnvironment();
  } catch (error) {
    return errorResponse(error, log, event.requestContext.requestId);
  }
  return instance(event);
}
