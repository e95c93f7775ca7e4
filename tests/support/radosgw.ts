import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { Crc64Nvme } from "../../functions/api/checksums";
import { DEFAULT_UPLOAD_LIMITS } from "../../functions/api/upload-rules";
import type { HandlerConfig } from "../../functions/config";
import { createHandler, type HandlerDeps } from "../../functions/handler";
import { S3Presigner } from "../../functions/signers/s3-presigner";
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
export function radosgwHandler(
  bucket: string,
  expirySeconds = 300,
  extra: Partial<HandlerDeps> = {},
  config: Partial<HandlerConfig> = {},
) {
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
      ...config,
    },
    signingKey: async () => ({ keyPairId: "K1", privateKey: ecdsaKey.privateKey }),
    credentials: async () => credentials,
    log: { log: (level, message, fields) => level === "error" && console.error(message, fields) },
    ...extra,
  });
}

/** The Ceph release of the radosgw on the PATH, as `radosgw --version` names it ("16.2.15 pacific"). */
export const cephRelease = (() => {
  try {
    const m = /ceph version (\S+) \([0-9a-f]+\) (\w+)/.exec(
      execFileSync("radosgw", ["--version"]).toString(),
    );
    return m ? `${m[1]} ${m[2]}` : "of an unknown release";
  } catch {
    return "of an unknown release";
  }
})();

let verifying: Promise<boolean> | undefined;

/**
 * Whether the radosgw under test refuses a body that differs from the signed `x-amz-checksum-*`, as
 * S3 does (400 BadDigest), found out once by sending one. Ceph checks additional checksums from
 * release 20 (Tentacle) on (ceph PR #55076 "rgw: implement S3 additional checksum support"; the
 * Squid backport, #62312, was closed unmerged); radosgw 16 signs the header in but never checks it.
 */
export function radosgwChecksChecksums(bucket: string): Promise<boolean> {
  verifying ??= (async () => {
    const signed = { "x-amz-checksum-crc64nvme": new Crc64Nvme().update(Buffer.from("a")).digest() };
    const url = await new S3Presigner({ bucket, region, endpoint }, async () => credentials).presign({
      method: "PUT",
      key: "probe/checksum.bin",
      signedHeaders: signed,
      expiresInSeconds: 60,
      now: new Date(),
    });
    const res = await fetch(url, { method: "PUT", headers: signed, body: "b" });
    const text = await res.text();
    if (res.status === 400 && text.includes("BadDigest")) return true;
    expect(res.status, text).to.equal(200);
    return false;
  })();
  return verifying;
}

/**
 * Runs `assertion` where the radosgw under test checks checksums; elsewhere says, in the test's
 * output, which assertion was skipped and why. Everything else in the test runs on every release.
 */
export async function whereChecksumsChecked(
  bucket: string,
  what: string,
  assertion: () => unknown,
): Promise<void> {
  if (await radosgwChecksChecksums(bucket)) {
    await assertion();
    return;
  }
  console.log(
    `      skipped on radosgw ${cephRelease}: ${what} (radosgw before Ceph 20 neither checks nor keeps x-amz-checksum-* values)`,
  );
}
