import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { createHandler } from "../../functions/handler";
import { S3Presigner } from "../../functions/s3-presigner";
import { DEFAULT_UPLOAD_LIMITS } from "../../functions/upload-rules";
import { startLocalStack } from "../../local/stack";
import { functionUrlEvent } from "../support/events";
import { ecdsaKey } from "../support/keys";

// Runs against a real S3 implementation (Ceph radosgw), started by scripts/with-radosgw.sh.
const endpoint = process.env.RGW_ENDPOINT ?? "";
const credentials = {
  accessKeyId: process.env.RGW_ACCESS_KEY_ID ?? "",
  secretAccessKey: process.env.RGW_SECRET_ACCESS_KEY ?? "",
};
const bucket = `sfs-${Date.now()}`;
const region = "us-east-1";
const s3 = { bucket, region, endpoint };
const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const quiet = () => {};

function handlerWith(expirySeconds: number) {
  return createHandler({
    config: {
      s3,
      cdnBaseUrl: "https://cdn.invalid",
      keyPairId: "K1",
      hashAlgorithm: "SHA256",
      expirySeconds,
      auth: { mode: "public" },
      publicReadPrefixes: [],
      uploads: DEFAULT_UPLOAD_LIMITS,
    },
    signingKey: async () => ({ keyPairId: "K1", privateKey: ecdsaKey.privateKey }),
    credentials: async () => credentials,
    log: { log: () => {} },
  });
}

async function instruction(
  expirySeconds: number,
  method: string,
  key: string,
  headers: Record<string, string> = {},
) {
  const result = await handlerWith(expirySeconds)(
    functionUrlEvent(method, `/${key.split("/").map(encodeURIComponent).join("/")}`, {
      headers: { accept: "application/json", ...headers },
    }),
  );
  expect(result.statusCode).to.equal(200);
  return JSON.parse(result.body ?? "") as { url: string; headers: Record<string, string> };
}

const readBack = async (key: string) =>
  fetch(
    await new S3Presigner(s3, async () => credentials).presign({
      method: "GET",
      key,
      expiresInSeconds: 60,
      now: new Date(),
    }),
  );

describe("presigned URLs against Ceph radosgw", function () {
  this.timeout(60_000);
  before(async () => {
    if (!endpoint) throw new Error("RGW_ENDPOINT is not set: run this suite with `npm run test:radosgw`");
    const url = new URL(endpoint);
    const signer = new SignatureV4({
      service: "s3",
      region,
      credentials,
      sha256: Sha256,
      uriEscapePath: false,
    });
    const signed = await signer.sign({
      method: "PUT",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: `/${bucket}`,
      query: {},
      headers: { host: url.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    });
    const res = await fetch(`${endpoint}/${bucket}`, { method: "PUT", headers: signed.headers });
    expect(res.status, await res.text()).to.equal(200);
  });

  it("accepts the handler's presigned PUT and stores the bytes", async () => {
    const body = randomBytes(300_000);
    const step = await instruction(300, "PUT", "photos/cat one+%.png");
    const put = await fetch(step.url, { method: "PUT", headers: step.headers, body });
    expect(put.status, await put.text()).to.equal(200);
    const back = await readBack("photos/cat one+%.png");
    expect(sha256(Buffer.from(await back.arrayBuffer()))).to.equal(sha256(body));
  });

  it("enforces a signed Content-Type", async () => {
    const step = await instruction(300, "PUT", "typed/a.png", { "content-type": "image/png" });
    expect((await fetch(step.url, { method: "PUT", headers: step.headers, body: "png" })).status).to.equal(
      200,
    );
    const wrong = await fetch(step.url, {
      method: "PUT",
      headers: { "content-type": "text/html" },
      body: "<html>",
    });
    expect(wrong.status).to.equal(403);
    expect(await wrong.text()).to.include("SignatureDoesNotMatch");
  });

  it("refuses a tampered presigned URL", async () => {
    const step = await instruction(300, "PUT", "tamper/a.bin");
    const res = await fetch(step.url.replace("tamper/a.bin", "tamper/b.bin"), { method: "PUT", body: "x" });
    expect(res.status).to.equal(403);
    expect(await res.text()).to.include("SignatureDoesNotMatch");
  });

  it("refuses an expired presigned URL", async () => {
    const step = await instruction(1, "PUT", "late/a.bin");
    await new Promise((r) => setTimeout(r, 2500));
    const res = await fetch(step.url, { method: "PUT", body: "x" });
    expect(res.status).to.equal(403);
    expect(await res.text()).to.include("AccessDenied");
  });

  it("answers a create-only upload of an existing key with 412", async () => {
    const first = await instruction(300, "PUT", "once/a.txt", { "if-none-match": "*" });
    expect((await fetch(first.url, { method: "PUT", headers: first.headers, body: "1" })).status).to.equal(
      200,
    );
    const second = await instruction(300, "PUT", "once/a.txt", { "if-none-match": "*" });
    expect((await fetch(second.url, { method: "PUT", headers: second.headers, body: "2" })).status).to.equal(
      412,
    );
    expect(await (await readBack("once/a.txt")).text()).to.equal("1");
  });

  it("accepts the presigned DELETE", async () => {
    const put = await instruction(300, "PUT", "gone/a.txt");
    await fetch(put.url, { method: "PUT", body: "bye" });
    const del = await instruction(300, "DELETE", "gone/a.txt");
    expect((await fetch(del.url, { method: "DELETE" })).status).to.equal(204);
    expect((await readBack("gone/a.txt")).status).to.equal(404);
  });

  it("serves the local stack's whole flow with radosgw as storage (curl -L both ways)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sfs-rgw-"));
    const stack = await startLocalStack({
      dataDir: dir,
      apiPort: 0,
      s3: { endpoint, bucket, region, credentials },
      log: quiet,
    });
    try {
      const bytes = randomBytes(2 * 1024 * 1024);
      writeFileSync(join(dir, "in.bin"), bytes);
      await run("curl", ["-sS", "--fail", "-L", "-T", join(dir, "in.bin"), `${stack.apiUrl}/via/stack.bin`]);
      await run("curl", ["-sS", "--fail", "-L", "-o", join(dir, "out.bin"), `${stack.apiUrl}/via/stack.bin`]);
      expect(sha256(readFileSync(join(dir, "out.bin")))).to.equal(sha256(bytes));
    } finally {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
