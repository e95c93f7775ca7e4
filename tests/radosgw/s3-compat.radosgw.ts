import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { S3Presigner } from "../../functions/signers/s3-presigner";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { functionUrlEvent } from "../support/events";
import { createBucket, credentials, endpoint, radosgwHandler, region } from "../support/radosgw";
import { cliOptions, sfs } from "../support/sfs-cli";

const bucket = `sfs-${Date.now()}`;
const s3 = { bucket, region, endpoint };
const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const quiet = () => {};

const handlerWith = (expirySeconds: number) => radosgwHandler(bucket, expirySeconds);

/** One request through the handler, with its S3 client pointed at radosgw. */
async function callApi(
  method: string,
  key: string,
  options: { query?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const result = await handlerWith(300)(
    functionUrlEvent(method, `/${key.split("/").map(encodeURIComponent).join("/")}`, {
      rawQueryString: options.query ?? "",
      headers: { accept: "application/json", ...options.headers },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }),
  );
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
}

/** fetch sets Content-Length from the body itself; the signed value is checked by S3 against it. */
const withoutLength = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "content-length"));

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

/** A local stack whose storage is radosgw, stopped and cleaned up whatever the test does. */
async function withStackOnRadosgw(test: (stack: LocalStack, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sfs-rgw-"));
  const stack = await startLocalStack({
    dataDir: dir,
    apiPort: 0,
    s3: { endpoint, bucket, region, credentials },
    log: quiet,
  });
  try {
    await test(stack, dir);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
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
    await createBucket(bucket);
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

  it("serves the local stack's whole flow with radosgw as storage (curl -L both ways)", () =>
    withStackOnRadosgw(async (stack, dir) => {
      const bytes = randomBytes(2 * 1024 * 1024);
      writeFileSync(join(dir, "in.bin"), bytes);
      await run("curl", ["-sS", "--fail", "-L", "-T", join(dir, "in.bin"), `${stack.apiUrl}/via/stack.bin`]);
      await run("curl", ["-sS", "--fail", "-L", "-o", join(dir, "out.bin"), `${stack.apiUrl}/via/stack.bin`]);
      expect(sha256(readFileSync(join(dir, "out.bin")))).to.equal(sha256(bytes));
    }));

  it("enforces the signed Content-Length, and stores the disposition and checksum it was given", async () => {
    const body = randomBytes(1000);
    const headers = {
      "upload-length": "1000",
      "content-disposition": 'attachment; filename="report.pdf"',
      "x-amz-meta-sha256": sha256(body),
    };
    const longer = await instruction(300, "PUT", "signed/len.bin", headers);
    const refused = await fetch(longer.url, {
      method: "PUT",
      headers: withoutLength(longer.headers),
      body: Buffer.concat([body, Buffer.from("x")]),
    });
    expect(refused.status).to.equal(403);
    expect(await refused.text()).to.include("SignatureDoesNotMatch");
    const step = await instruction(300, "PUT", "signed/len.bin", headers);
    const put = await fetch(step.url, { method: "PUT", headers: withoutLength(step.headers), body });
    expect(put.status, await put.text()).to.equal(200);
    const back = await readBack("signed/len.bin");
    expect(back.headers.get("content-disposition")).to.equal('attachment; filename="report.pdf"');
    expect(back.headers.get("x-amz-meta-sha256")).to.equal(sha256(body));
  });

  it("runs a whole multipart upload through the handler: create, sign parts, list, complete", async () => {
    const key = "multi/part ü.bin";
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1024);
    const created = await callApi("POST", key, {
      query: "uploads",
      headers: { "content-type": "video/mp4", "x-amz-meta-sha256": sha256(Buffer.concat([part1, part2])) },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(200);
    const { uploadId } = created.body as { uploadId: string };
    const signed = await callApi("GET", key, { query: `uploadId=${encodeURIComponent(uploadId)}&parts=1-2` });
    const urls = (signed.body as { parts: Array<{ url: string }> }).parts.map((p) => p.url);
    const etags: string[] = [];
    for (const [i, bytes] of [part1, part2].entries()) {
      const res = await fetch(urls[i] ?? "", { method: "PUT", body: bytes });
      expect(res.status, await res.text()).to.equal(200);
      etags.push(res.headers.get("etag") ?? "");
    }
    expect(etags.map((e) => e.replace(/"/g, ""))).to.deep.equal([
      createHash("md5").update(part1).digest("hex"),
      createHash("md5").update(part2).digest("hex"),
    ]);
    const listed = await callApi("GET", key, { query: `uploadId=${encodeURIComponent(uploadId)}` });
    expect(
      (listed.body as { parts: Array<{ partNumber: number; etag: string; size: number }> }).parts,
    ).to.deep.equal([
      { partNumber: 1, etag: etags[0], size: part1.length },
      { partNumber: 2, etag: etags[1], size: part2.length },
    ]);
    const wrong = await callApi("POST", key, {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
      body: { parts: [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }] },
    });
    expect(wrong.status).to.equal(400);
    expect((wrong.body as { error: { code: string } }).error.code).to.equal("InvalidPart");
    const done = await callApi("POST", key, {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
      body: { parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) },
    });
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    expect(done.body).to.deep.include({ key, size: part1.length + part2.length });
    const back = await readBack(key);
    expect(sha256(Buffer.from(await back.arrayBuffer()))).to.equal(sha256(Buffer.concat([part1, part2])));
    expect(back.headers.get("content-type")).to.equal("video/mp4");
    expect(back.headers.get("x-amz-meta-sha256")).to.equal(sha256(Buffer.concat([part1, part2])));
  });

  it("aborts a multipart upload; listing it afterwards is 404 NoSuchUpload", async () => {
    const created = await callApi("POST", "multi/aborted.bin", { query: "uploads" });
    const { uploadId } = created.body as { uploadId: string };
    const aborted = await callApi("DELETE", "multi/aborted.bin", {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
    });
    expect(aborted.status).to.equal(204);
    const listed = await callApi("GET", "multi/aborted.bin", {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
    });
    expect(listed.status).to.equal(404);
    expect((listed.body as { error: { code: string } }).error.code).to.equal("NoSuchUpload");
  });

  it("the sfs CLI puts and gets 40 MiB in parts through the local stack on radosgw", () =>
    withStackOnRadosgw(async (stack, dir) => {
      const bytes = randomBytes(40 * 1024 * 1024);
      writeFileSync(join(dir, "in.bin"), bytes);
      const put = await sfs(["put", join(dir, "in.bin"), "cli/in.bin", ...cliOptions(stack.apiUrl, dir)]);
      expect(JSON.parse(put.stdout)).to.include({ size: bytes.length, parts: 5, sha256: sha256(bytes) });
      const got = await sfs(["get", "cli/in.bin", join(dir, "out.bin"), ...cliOptions(stack.apiUrl, dir)]);
      expect(JSON.parse(got.stdout)).to.include({ sha256: sha256(bytes), verified: true });
    }));
});
