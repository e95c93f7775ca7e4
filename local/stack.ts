import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { AuthSettings } from "../functions/auth-settings";
import { createHandler } from "../functions/handler";
import type { Logger } from "../functions/log";
import type { CorsRule } from "./cors";
import { startEdge } from "./edge-server";
import { type RunningFunctionUrl, startFunctionUrl } from "./function-url-server";
import { type RunningStorage, type StorageCredentials, startStorage } from "./storage-server";

export const LOCAL_KEY_PAIR_ID = "KLOCALSTACK0001";

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
  readonly expirySeconds?: number;
  readonly auth?: AuthSettings;
  readonly publicReadPrefixes?: readonly string[];
  readonly corsOrigins?: readonly string[];
  /** Use this S3-compatible server instead of the embedded storage. */
  readonly s3?: ExternalS3;
  readonly log?: (fields: Record<string, unknown>) => void;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly edgeUrl: string;
  readonly storageUrl: string;
  stop(): Promise<void>;
}

interface LocalSecrets {
  readonly signingKeyPem: string;
  readonly writer: StorageCredentials;
  readonly reader: StorageCredentials;
}

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
    };
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return secrets;
  }
}

/** Function URL, CDN edge and storage on 127.0.0.1, running the handler that deploys. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log =
    options.log ??
    ((fields) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`));
  const secrets = await loadSecrets(options.dataDir);
  const corsOrigins = options.corsOrigins ?? [];
  const cors = (methods: string[], exposeHeaders: string[]): CorsRule => ({
    origins: corsOrigins,
    methods,
    exposeHeaders,
  });

  let storage: RunningStorage | undefined;
  let target: { bucket: string; region: string; endpoint: string };
  let writer: StorageCredentials;
  let reader: StorageCredentials;
  if (options.s3) {
    target = { bucket: options.s3.bucket, region: options.s3.region, endpoint: options.s3.endpoint };
    writer = options.s3.credentials;
    reader = options.s3.credentials;
  } else {
    storage = await startStorage({
      dataDir: options.dataDir,
      bucket: "local-files",
      port: options.storagePort ?? 0,
      writer: secrets.writer,
      reader: secrets.reader,
      cors: cors(["PUT", "DELETE"], ["ETag"]),
      log,
    });
    target = { bucket: "local-files", region: "us-east-1", endpoint: storage.url };
    writer = secrets.writer;
    reader = secrets.reader;
  }

  const privateKey = createPrivateKey(secrets.signingKeyPem);
  const edge = await startEdge({
    origin: target,
    credentials: reader,
    publicKeys: new Map([[LOCAL_KEY_PAIR_ID, createPublicKey(privateKey)]]),
    port: options.edgePort ?? 0,
    cors: cors(["GET", "HEAD"], ["ETag", "Content-Length", "Content-Range"]),
    log,
  });
  const handlerLog: Logger = {
    log: (level, message, fields) => log({ component: "function", level, message, ...fields }),
  };
  const api: RunningFunctionUrl = await startFunctionUrl({
    handler: createHandler({
      config: {
        s3: target,
        cdnBaseUrl: edge.url,
        keyPairId: LOCAL_KEY_PAIR_ID,
        hashAlgorithm: "SHA256",
        expirySeconds: options.expirySeconds ?? 300,
        auth: options.auth ?? { mode: "public" },
        publicReadPrefixes: options.publicReadPrefixes ?? [],
      },
      signingKey: async () => ({ keyPairId: LOCAL_KEY_PAIR_ID, privateKey }),
      credentials: async () => writer,
      log: handlerLog,
    }),
    port: options.apiPort ?? 3000,
    cors: cors(["GET", "HEAD", "PUT", "DELETE"], ["Location"]),
    log,
  });
  return {
    apiUrl: api.url,
    edgeUrl: edge.url,
    storageUrl: storage?.url ?? target.endpoint,
    // API first so no new work starts, storage last so acknowledged uploads finish.
    async stop() {
      await api.close();
      await edge.close();
      await storage?.close();
    },
  };
}
