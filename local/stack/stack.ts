import { createPrivateKey, createPublicKey } from "node:crypto";
import { corsRules } from "../../components/policies/cors-rules";
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from "../../functions/api/upload-rules";
import type { AccessRules } from "../../functions/auth/access-rules";
import type { AuthSettings } from "../../functions/auth/settings";
import { type HandlerConfig, parseAuthSettings, parseExpiryLimits } from "../../functions/config";
import { createHandler } from "../../functions/handler";
import type { Logger } from "../../functions/telemetry/log";
import { startEdgeWorker } from "../edge/worker";
import { type IamCaller, type RunningFunctionUrl, startFunctionUrl } from "../function-url/server";
import { type RunningStorage, type StorageCredentials, startStorage } from "../storage/server";
import { DEV_AUDIENCE, DEV_SCOPES, type RunningDevIssuer, startDevIssuer } from "./dev-issuer";
import { startExamplePage } from "./example-server";
import { loadSecrets } from "./secrets";

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
  /**
   * The callers' authentication. `{ mode: "jwt" }` without an issuer starts the development issuer
   * (dev-issuer.ts) on `issuerPort` (default 3002) of `issuerHost` (loopback only).
   */
  readonly auth?: AuthSettings | DevJwtAuth;
  readonly issuerPort?: number;
  readonly issuerHost?: string;
  /** The CloudFront API's port (invalidations), default any free port. */
  readonly cloudFrontPort?: number;
  /** Options for the embedded storage, passed to startStorage as they are. */
  readonly storage?: LocalStorageOptions;
  readonly publicReadPrefixes?: readonly string[];
  /** Origins allowed besides the example page's own, which is always allowed. */
  readonly corsOrigins?: readonly string[];
  /** Port of the example page's server (a different origin from the API), default any free port. */
  readonly examplePort?: number;
  readonly uploads?: Partial<UploadLimits>;
  /** The edge cache's bound in bytes (default 256 MiB). */
  readonly edgeCacheBytes?: number;
  /** Use this S3-compatible server instead of the embedded storage. */
  readonly s3?: ExternalS3;
  readonly log?: (fields: Record<string, unknown>) => void;
}

/** jwt mode with the development issuer: the prefix rules only (default `{sub}/` for reads and writes). */
export interface DevJwtAuth {
  readonly mode: "jwt";
  /** No issuer: that is what asks for the development one. */
  readonly issuer?: undefined;
  readonly rules?: Partial<AccessRules>;
}

/** The storage's lifecycle, as the deployed bucket's lifecycle rules say (days). */
export interface LocalStorageOptions {
  readonly lifecycle?: {
    readonly noncurrentVersionExpirationDays: number;
    readonly abortIncompleteMultipartUploadDays: number;
  };
}

export interface LocalStack {
  readonly apiUrl: string;
  /** The configuration the function runs with. */
  readonly handlerConfig: HandlerConfig;
  /** CloudFront's API for the local distribution (CreateInvalidation, GetInvalidation). */
  readonly cloudFrontApiUrl: string;
  /** In jwt mode without an issuer: the development issuer. */
  readonly devIssuer?: Omit<RunningDevIssuer, "close">;
  /** The browser example page. */
  readonly exampleUrl: string;
  /** With auth `iam`: the credentials the local function URL accepts. */
  readonly iamCaller?: IamCaller;
  readonly edgeUrl: string;
  readonly storageUrl: string;
  stop(): Promise<void>;
}

const LOCAL_CALLER_ARN = "arn:aws:iam::000000000000:user/local-caller";

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
    const cors = corsRules([...(options.corsOrigins ?? []), example.url], options.uploads?.allowedMetadata);

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
        // The lifecycle options are the storage's own (startStorage({ lifecycle })), passed on whole.
        ...options.storage,
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
    let devIssuer: RunningDevIssuer | undefined;
    const given = options.auth ?? { mode: "public" };
    let auth: AuthSettings;
    if (isDevJwt(given)) {
      const issuer = await startDevIssuer({
        privateKeyPem: secrets.issuerKeyPem,
        ...(options.issuerPort === undefined ? {} : { port: options.issuerPort }),
        ...(options.issuerHost === undefined ? {} : { host: options.issuerHost }),
        corsOrigins: cors.api.allowOrigins,
      });
      started.push(() => issuer.close());
      devIssuer = issuer;
      auth = developmentAuth(issuer.issuer, issuer.jwksUrl, given.rules);
    } else {
      auth = given;
    }
    const iamCaller: IamCaller | undefined =
      auth.mode === "iam" ? { ...secrets.caller, userArn: LOCAL_CALLER_ARN } : undefined;
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
    example.configure({
      apiUrl: api.url,
      auth: auth.mode,
      ...(auth.mode === "jwt" ? { readPrefixes: auth.rules.read } : {}),
      ...(devIssuer ? { issuerUrl: devIssuer.issuer } : {}),
      maxReadExpirySeconds: config.maxReadExpirySeconds,
    });
    return {
      apiUrl: api.url,
      handlerConfig: config,
      cloudFrontApiUrl,
      ...(devIssuer
        ? {
            devIssuer: {
              issuer: devIssuer.issuer,
              jwksUrl: devIssuer.jwksUrl,
              audience: devIssuer.audience,
              mint: devIssuer.mint,
            },
          }
        : {}),
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

/**
 * jwt mode with the development issuer: its audience, ES256 only, the prefix rules (`{sub}/` unless
 * given), and every action needing its scope, so a token's scopes are what a deployed stack with
 * `auth.scopes` would check.
 */
export function developmentAuth(
  issuer: string,
  jwksUrl: string,
  rules: Partial<AccessRules> = {},
): AuthSettings {
  return parseAuthSettings({
    mode: "jwt",
    issuer,
    audience: DEV_AUDIENCE,
    jwksUrl,
    algorithms: ["ES256"],
    rules: {
      read: rules.read ?? ["{sub}/"],
      write: rules.write ?? ["{sub}/"],
      ...(rules.delete ? { delete: rules.delete } : {}),
    },
    scopes: DEV_SCOPES,
  });
}

const isDevJwt = (auth: AuthSettings | DevJwtAuth): auth is DevJwtAuth =>
  auth.mode === "jwt" && auth.issuer === undefined;
