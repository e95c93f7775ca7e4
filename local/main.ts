import { listenProblem, startBanner } from "./stack/banner";
import { HELP, parseStackArgs, UsageError } from "./stack/options";
import { type LocalStack, startLocalStack } from "./stack/stack";

/** One line saying what is wrong and with which option, then where the options are listed. */
function fail(message: string): never {
  process.stderr.write(`${message}\n(npm start -- --help lists every option)\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseStackArgs>;
  try {
    parsed = parseStackArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  }
  if (!parsed) {
    process.stdout.write(HELP);
    return;
  }
  const { options, ports } = parsed;

  // The AWS SDK warns on every start under Node.js 20 that its 2027 releases need Node.js 22. The
  // deployed function runs on nodejs22.x or newer, so for the local stack the warning is noise; the
  // SDK's own switch silences that one warning and no other.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  let stack: LocalStack;
  try {
    stack = await startLocalStack(options);
  } catch (error) {
    const problem = listenProblem(error, ports);
    if (problem === undefined) throw error;
    process.stderr.write(`${problem}\n`);
    process.exit(2);
  }
  process.stderr.write(
    startBanner({
      auth: stack.handlerConfig.auth,
      apiUrl: stack.apiUrl,
      edgeUrl: stack.edgeUrl,
      cloudFrontApiUrl: stack.cloudFrontApiUrl,
      storageUrl: stack.storageUrl,
      ...(options.s3 ? {} : { dataDir: options.dataDir }),
      exampleUrl: stack.exampleUrl,
      ...(stack.iamCaller ? { iamCaller: stack.iamCaller } : {}),
      ...(stack.devIssuer ? { devIssuer: stack.devIssuer } : {}),
      requireChecksum: stack.handlerConfig.uploads.requireChecksum,
      // The local function URL's region (its default): what SigV4 callers must scope to.
      region: "us-east-1",
    }),
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      // A request that stalls (an upload whose client stopped sending) would hold the stop up.
      process.stderr.write(`\n${signal} again: stopping now, without waiting for requests in flight\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: finishing requests in flight (${signal} again stops at once)...\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
