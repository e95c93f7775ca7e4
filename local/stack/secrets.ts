import { generateKeyPairSync, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { StorageCredentials } from "../storage/server";

/** What the local stack keeps secret between runs, in the data directory's local-secrets.json. */
export interface LocalSecrets {
  /** The CloudFront signing key (P-256, PKCS#8 PEM). */
  readonly signingKeyPem: string;
  /** The function role's keys: they write to storage and call the CloudFront API. */
  readonly writer: StorageCredentials;
  /** The edge's keys, as OAC reads the bucket. */
  readonly reader: StorageCredentials;
  /** The caller's keys in iam mode. */
  readonly caller: StorageCredentials;
  /** The development JWT issuer's key (P-256, PKCS#8 PEM). */
  readonly issuerKeyPem: string;
}

const p256Pem = () =>
  generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
const secret = () => randomBytes(30).toString("base64url");

/**
 * Keys live in the data directory, so URLs, credentials and tokens stay valid across restarts. A
 * file written before a key existed gets that key added, and is rewritten once.
 */
export async function loadSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, "local-secrets.json");
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(await fs.readFile(file, "utf8")) as Partial<LocalSecrets>;
  } catch {
    // No file yet (or not JSON): every key is made now.
  }
  const secrets: LocalSecrets = {
    signingKeyPem: stored.signingKeyPem ?? p256Pem(),
    writer: stored.writer ?? { accessKeyId: "LOCALFUNCTIONROLE", secretAccessKey: secret() },
    reader: stored.reader ?? { accessKeyId: "LOCALCLOUDFRONTOAC", secretAccessKey: secret() },
    caller: stored.caller ?? { accessKeyId: "LOCALIAMCALLER", secretAccessKey: secret() },
    issuerKeyPem: stored.issuerKeyPem ?? p256Pem(),
  };
  if (Object.keys(secrets).some((name) => !(name in stored))) {
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
