import { createHash } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { DEFAULT_UPLOAD_LIMITS } from "../../functions/api/upload-rules";
import { createHandler, type HandlerDeps } from "../../functions/handler";
import { ecdsaKey } from "./keys";

// Set by scripts/with-radosgw.sh, which starts a real S3 implementation (Ceph radosgw) on 127.0.0.1.
export const endpoint = process.env.RGW_ENDPOINT ?? "";
export const credentials = {
  accessKeyId: process.env.RGW_ACCESS_KEY_ID ?? "",
  secretAccessKey: process.env.RGW_SECRET_ACCESS_KEY ?? "",
};
export const region = "us-east-1";

/** A bucket-level call signed in the Authorization header, as an S3 client would send it. */
async function bucketRequest(bucket: string, query: Record<string, string>, body = ""): Promise<Response> {
  if (!endpoint) throw new Error("RGW_ENDPOINT is not set: run this suite with `npm run test:radosgw`");
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    service: "s3",
    region,
    credentials,
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: false,
  });
  const headers: Record<string, string> = { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
  if (body) headers["content-md5"] = createHash("md5").update(body).digest("base64");
  const signed = await signer.sign({
    method: "PUT",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: `/${bucket}`,
    query,
    headers,
    ...(body ? { body } : {}),
  });
  const search = Object.keys(query).length ? `?${Object.keys(query).join("&")}` : "";
  return fetch(`${endpoint}/${bucket}${search}`, {
    method: "PUT",
    headers: signed.headers,
    body: body || null,
  });
}

/** Creates the bucket, with versioning turned on when asked. */
export async function createBucket(bucket: string, versioned = false): Promise<void> {
  const created = await bucketRequest(bucket, {});
  expect(created.status, await created.text()).to.equal(200);
  if (!versioned) return;
  const enabled = await bucketRequest(
    bucket,
    { versioning: "" },
    '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>',
  );
  expect(enabled.status, await enabled.text()).to.equal(200);
}

/** The handler with its S3 calls (lookups, multipart, file store) pointed at radosgw's `bucket`. */
export function radosgwHandler(bucket: string, expirySeconds = 300, extra: Partial<HandlerDeps> = {}) {
  return createHandler({
    config: {
      s3: { bucket, region, endpoint },
      cdnBaseUrl: "https://cdn.invalid",
      keyPairId: "K1",
      hashAlgorithm: "SHA256",
      expirySeconds,
      maxReadExpirySeconds: 86_400,
      maxWriteExpirySeconds: 3_600,
      auth: { mode: "public" },
      publicReadPrefixes: [],
      uploads: DEFAULT_UPLOAD_LIMITS,
      cdn: { distributionId: "E2QWRUHAPOMQZL" },
    },
    signingKey: async () => ({ keyPairId: "K1", privateKey: ecdsaKey.privateKey }),
    credentials: async () => credentials,
    log: { log: (level, message, fields) => level === "error" && console.error(message, fields) },
    ...extra,
  });
}
