import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { corsRules } from "../../components/policies/cors-rules";
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from "../../functions/api/upload-rules";
import type { AuthSettings } from "../../functions/auth/settings";
import { type HandlerConfig, parseExpiryLimits } from "../../functions/config";
import { createHandler } from "../../functions/handler";
import type { Logger } from "../../functions/telemetry/log";
import { startEdgeWorker } from "../edge/worker";
import { type IamCaller, type RunningFunctionUrl, startFunctionUrl } from "../function-url/server";
import { type RunningStorage, type StorageCredentials, startStorage } from "../storage/server";
import { startExamplePage } from "./example-server";

export const LOCAL_KEY_PAIR_ID = "KLOCALSTACK0001";
/** The local edge answers for this one distribution, as the deployed function names its own. */
export const LOCAL_DISTRIBUTION_ID = "ELOCALSTACK0001";

export interface ExternalS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: StorageCredentials;
}

export interface LocalStackOptions {
  readonly dataDir: string;
  readonly apiPort?: number;
  readonly edgePort?: number;
  readonly storagePort?: number;
  /** The default lifetime of signed URLs, at most `maxReadExpirySeconds` (default 300). */
  readonly expirySeconds?: number;
  /** The longest lifetime a read may ask for with `expires`, as the component's arg (default 86400). */
  readonly maxReadExpirySeconds?: number;
  readonly auth?: AuthSettings;
  readonly publicReadPrefixes?: readonly string[];
  /** Origins allowed besides the example page's own, which is always allowed. */
  readonly corsOrigins?: readonly string[];
  /** Port of the example page's server (a different origin from the API), default any free port. */
  readonly examplePort?: number;
  readonly uploads?: Partial<UploadLimits>;
  /** The CloudFront API's port (invalidations), default any free port. */
  readonly cloudFrontPort?: number;
  /** The edge cache's bound in bytes (default 256 MiB). */
  readonly edgeCacheBytes?: number;
  /** Use this S3-compatible server instead of the embedded storage. */
  readonly s3?: ExternalS3;
  readonly log?: (fields: Record<string, unknown>) => void;
}

export interface LocalStack {
  readonly apiUrl: string;
  /** The configuration the function runs with. */
  readonly handlerConfig: HandlerConfig;
  /** CloudFront's API for the local distribution (CreateInvalidation, GetInvalidation). */
  readonly cloudFrontApiUrl: string;
  /** The browser example page. */
  readonly exampleUrl: string;
  /** With auth `iam`: the credentials the local function URL accepts. */
  readonly iamCaller?: IamCaller;
  readonly edgeUrl: string;
  readonly storageUrl: string;
  stop(): Promise<void>;
}

interface LocalSecrets {
  readonly signingKeyPem: string;
  readonly writer: StorageCredentials;
  readonly reader: StorageCredentials;
  readonly caller?: StorageCredentials;
}

const LOCAL_CALLER_ARN = "arn:aws:iam::000000000000:user/local-caller";

/** Keys live in the data directory, so URLs and credentials stay valid across restarts. */
async function loadSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, "local-secrets.json");
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as LocalSecrets;
  } catch {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const secrets: LocalSecrets = {
      signingKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      writer: { accessKeyId: "LOCALFUNCTIONROLE", secretAccessKey: randomBytes(30).toString("base64url") },
      reader: { accessKeyId: "LOCALCLOUDFRONTOAC", secretAccessKey: randomBytes(30).toString("base64url") },
      caller: { accessKeyId: "LOCALIAMCALLER", secretAccessKey: randomBytes(30).toString("base64url") },
    };
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return secrets;
  }
}

/** Function URL, CDN edge and storage on 127.0.0.1, running the handler that deploys. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // The deployed function's own check, so the local stack refuses the lifetimes the component would.
  const expiry = parseExpiryLimits({
    expirySeconds: options.expirySeconds ?? 300,
    maxReadExpirySeconds: options.maxReadExpirySeconds,
  });
  const log =
    options.log ??
    ((fields) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`));
  const secrets = await loadSecrets(options.dataDir);
  // Each server's close, in the order started.
  const started: Array<() => Promise<void>> = [];
  try {
    const example = await startExamplePage({ port: options.examplePort ?? 0, log });
    started.push(() => example.close());
    const cors = corsRules([...(options.corsOrigins ?? []), example.url]);

    let storage: RunningStorage | undefined;
    let target: { bucket: string; region: string; endpoint: string };
    let writer: StorageCredentials;
    let reader: StorageCredentials;
    if (options.s3) {
      target = { bucket: options.s3.bucket, region: options.s3.region, endpoint: options.s3.endpoint };
      writer = options.s3.credentials;
      reader = options.s3.credentials;
    } else {
      const running = await startStorage({
        dataDir: options.dataDir,
        bucket: "local-files",
        port: options.storagePort ?? 0,
        writer: secrets.writer,
        reader: secrets.reader,
        cors: cors.bucket,
        log,
      });
      started.push(() => running.close());
      storage = running;
      target = { bucket: "local-files", region: "us-east-1", endpoint: storage.url };
      writer = secrets.writer;
      reader = secrets.reader;
    }

    const privateKey = createPrivateKey(secrets.signingKeyPem);
    // Its own thread: a download through the edge does not share an event loop with the storage.
    const edge = await startEdgeWorker({
      origin: target,
      credentials: reader,
      publicKeys: new Map([[LOCAL_KEY_PAIR_ID, createPublicKey(privateKey)]]),
      port: options.edgePort ?? 0,
      ...(options.edgeCacheBytes === undefined ? {} : { maxCacheBytes: options.edgeCacheBytes }),
      // The function's role may invalidate its distribution, and calls CloudFront with its own keys.
      cloudFrontApi: {
        distributionId: LOCAL_DISTRIBUTION_ID,
        callers: [writer],
        port: options.cloudFrontPort ?? 0,
      },
      log,
    });
    started.push(() => edge.close());
    const cloudFrontApiUrl = edge.apiUrl;
    if (!cloudFrontApiUrl) throw new Error("the edge started without its CloudFront API");
    const handlerLog: Logger = {
      log: (level, message, fields) => log({ component: "function", level, message, ...fields }),
    };
    const auth = options.auth ?? { mode: "public" };
    // Secrets written by an older version have no caller key; such a data directory gets one now.
    const callerKeys = secrets.caller ?? {
      accessKeyId: "LOCALIAMCALLER",
      secretAccessKey: randomBytes(30).toString("base64url"),
    };
    const iamCaller: IamCaller | undefined =
      auth.mode === "iam" ? { ...callerKeys, userArn: LOCAL_CALLER_ARN } : undefined;
    const config: HandlerConfig = {
      s3: target,
      cdnBaseUrl: edge.url,
      keyPairId: LOCAL_KEY_PAIR_ID,
      hashAlgorithm: "SHA256",
      ...expiry,
      auth,
      publicReadPrefixes: options.publicReadPrefixes ?? [],
      uploads: { ...DEFAULT_UPLOAD_LIMITS, ...options.uploads },
      cdn: { distributionId: LOCAL_DISTRIBUTION_ID, apiEndpoint: cloudFrontApiUrl },
    };
    const api: RunningFunctionUrl = await startFunctionUrl({
      handler: createHandler({
        config,
        signingKey: async () => ({ keyPairId: LOCAL_KEY_PAIR_ID, privateKey }),
        credentials: async () => writer,
        log: handlerLog,
      }),
      port: options.apiPort ?? 3000,
      cors: cors.api,
      ...(iamCaller ? { iamCallers: [iamCaller] } : {}),
      log,
    });
    started.push(() => api.close());
    return {
      apiUrl: api.url,
      handlerConfig: config,
      cloudFrontApiUrl,
      exampleUrl: `${example.url}/`,
      ...(iamCaller ? { iamCaller } : {}),
      edgeUrl: edge.url,
      storageUrl: storage?.url ?? target.endpoint,
      // API first so no new work starts, storage last so acknowledged uploads finish.
      stop: () => closeAll(started),
    };
  } catch (error) {
    // What started before the failure (a port in use, a data directory another stack holds) stops.
    await closeAll(started).catch(() => undefined);
    throw error;
  }
}

/** Closes in the reverse of the order started: the API first, the example page last. */
async function closeAll(started: ReadonlyArray<() => Promise<void>>): Promise<void> {
  for (const close of [...started].reverse()) await close();
}
