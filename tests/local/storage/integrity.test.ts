import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { BUCKET, md5, READER, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

const MiB = 1024 * 1024;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("local storage: atomic versions under races and faults", function () {
  this.timeout(120_000);
  let s: StorageFixture;
  let failWrites: NodeJS.ErrnoException | undefined;
  /** Which files the simulated failure hits: every write by default. */
  let failing: (file: string) => boolean = () => true;
  before(async () => {
    s = await startStorageFixture({
      writeFault: (file) => {
        if (failWrites && failing(file)) throw failWrites;
      },
    });
  });
  after(() => s.close());

  async function read(key: string) {
    const res = await fetch(await s.presign("GET", key, { as: READER }));
    return {
      status: res.status,
      etag: res.headers.get("etag"),
      versionId: res.headers.get("x-amz-version-id"),
      body: Buffer.from(await res.arrayBuffer()),
    };
  }

  it("8 writers racing on one key, 50 rounds: every read is one writer's body whole, its MD5 the ETag, its version the one that PUT answered", async () => {
    const key = "race/one.bin";
    const rounds = 50;
    let mismatches = 0;
    for (let round = 0; round < rounds; round += 1) {
      // Sizes differ widely so that mixing one upload's metadata with another's bytes shows.
      const bodies = Array.from({ length: 8 }, (_, w) =>
        randomBytes(1 + ((w * 7919 + round * 104729) % 300_000)),
      );
      const puts = await Promise.all(
        bodies.map(async (body) => {
          const res = await fetch(await s.presign("PUT", key), { method: "PUT", body });
          return {
            status: res.status,
            versionId: res.headers.get("x-amz-version-id"),
            etag: res.headers.get("etag"),
          };
        }),
      );
      expect(puts.map((p) => p.status)).to.deep.equal(bodies.map(() => 200));
      const got = await read(key);
      const writer = puts.findIndex((p) => p.versionId === got.versionId);
      const whole =
        got.status === 200 &&
        writer !== -1 &&
        got.etag === `"${md5(got.body)}"` &&
        got.etag === puts[writer]?.etag &&
        got.body.equals(bodies[writer] ?? Buffer.alloc(0));
      if (!whole) mismatches += 1;
    }
    expect(mismatches).to.equal(0);
  });

  it("re-uploading a part while its upload is listed never gives a 5xx nor a half-written record", async () => {
    const client = s.client();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "race/parts.bin" }),
    );
    const uploadId = UploadId ?? "";
    const bodies = Array.from({ length: 30 }, (_, i) => randomBytes(64 * 1024 + i * 1000));
    const etags = new Set(bodies.map((b) => `"${md5(b)}"`));
    let uploading = true;
    const statuses: number[] = [];
    const seen: string[] = [];
    const lister = (async () => {
      while (uploading) {
        const res = await fetch(await s.presign("GET", "race/parts.bin", { query: { uploadId } }));
        statuses.push(res.status);
        const etag = xmlText(await res.text(), "ETag")?.replace(/&quot;/g, '"');
        if (etag) seen.push(etag);
      }
    })();
    const uploads = await Promise.all(
      bodies.map(async (body) => {
        const url = await s.presign("PUT", "race/parts.bin", { query: { uploadId, partNumber: "1" } });
        return (await fetch(url, { method: "PUT", body })).status;
      }),
    );
    uploading = false;
    await lister;
    expect(uploads).to.deep.equal(bodies.map(() => 200));
    expect(statuses.filter((st) => st !== 200)).to.deep.equal([]);
    expect(seen.filter((e) => !etags.has(e))).to.deep.equal([]);
    const listed = await client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: "race/parts.bin", UploadId: uploadId }),
    );
    expect(listed.Parts?.length).to.equal(1);
    expect(etags.has(listed.Parts?.[0]?.ETag ?? "")).to.equal(true);
  });

  for (const code of ["ENOSPC", "EIO"]) {
    it(`a write failing with ${code} is 500 InternalError and leaves the previous version whole`, async () => {
      const key = `fault/${code}.bin`;
      const before = randomBytes(10_000);
      expect((await fetch(await s.presign("PUT", key), { method: "PUT", body: before })).status).to.equal(
        200,
      );
      failWrites = Object.assign(new Error(`${code}: simulated`), { code });
      try {
        const res = await fetch(await s.presign("PUT", key), { method: "PUT", body: randomBytes(3 * MiB) });
        expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([500, "InternalError"]);
        const { UploadId } = await s
          .client()
          .send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
          .catch(() => ({ UploadId: undefined }));
        expect(UploadId).to.be.a("string");
        const part = await fetch(
          await s.presign("PUT", key, { query: { uploadId: UploadId ?? "", partNumber: "1" } }),
          { method: "PUT", body: randomBytes(1000) },
        );
        expect([part.status, xmlText(await part.text(), "Code")]).to.deep.equal([500, "InternalError"]);
      } finally {
        failWrites = undefined;
      }
      const got = await read(key);
      expect([got.status, got.body.equals(before), got.etag]).to.deep.equal([200, true, `"${md5(before)}"`]);
      // Nothing staged is left behind.
      expect(readdirSync(join(s.dataDir, "tmp"))).to.deep.equal([]);
    });
  }

  it("a failure writing the key's log after the bytes are stored is 500 and leaves no unreferenced version behind", async () => {
    const key = "fault/index.bin";
    const before = randomBytes(1000);
    expect((await fetch(await s.presign("PUT", key), { method: "PUT", body: before })).status).to.equal(200);
    const keyDir = filesUnder(join(s.dataDir, "versions", BUCKET))
      .find((f) => f.endsWith("log.jsonl") && readFileSync(f, "utf8").includes(`"key":"${key}"`))
      ?.replace(/\/log\.jsonl$/, "");
    const entriesBefore = readdirSync(keyDir ?? "").sort();
    failWrites = Object.assign(new Error("EIO: simulated"), { code: "EIO" });
    failing = (file) => file.endsWith("log.jsonl");
    try {
      const res = await fetch(await s.presign("PUT", key), { method: "PUT", body: randomBytes(2000) });
      expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([500, "InternalError"]);
    } finally {
      failWrites = undefined;
      failing = () => true;
    }
    expect(readdirSync(keyDir ?? "").sort()).to.deep.equal(entriesBefore);
    const got = await read(key);
    expect([got.status, got.body.equals(before)]).to.deep.equal([200, true]);
  });

  it("completing a 3-part upload reuses the part files (same inodes) and serves them in order, Range included", async () => {
    const client = s.client();
    const key = "mp/three.bin";
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const uploadId = UploadId ?? "";
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(123_457)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const url = await s.presign("PUT", key, { query: { uploadId, partNumber: String(i + 1) } });
      const res = await fetch(url, { method: "PUT", body });
      etags.push(res.headers.get("etag") ?? "");
    }
    const uploadDir = join(s.dataDir, "multipart", BUCKET, uploadId);
    const partInodes = readdirSync(uploadDir)
      .filter((n) => n.startsWith("p-"))
      .map((n) => statSync(join(uploadDir, n)).ino)
      .sort();
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.VersionId).to.match(/^[A-Za-z0-9][A-Za-z0-9._]{31}$/);
    const versionFiles = filesUnder(join(s.dataDir, "versions", BUCKET)).filter((f) =>
      f.includes(`${done.VersionId}/part-`),
    );
    expect(versionFiles.map((f) => statSync(f).ino).sort()).to.deep.equal(partInodes);
    const whole = Buffer.concat(parts);
    const got = await read(key);
    expect([got.body.equals(whole), got.etag]).to.deep.equal([true, done.ETag]);
    // A range that starts in the first part and ends in the third.
    const res = await fetch(await s.presign("GET", key, { as: READER }), {
      headers: { range: `bytes=${5 * MiB - 3}-${10 * MiB + 2}` },
    });
    const ranged = Buffer.from(await res.arrayBuffer());
    expect([
      res.status,
      res.headers.get("content-range"),
      ranged.equals(whole.subarray(5 * MiB - 3, 10 * MiB + 3)),
    ]).to.deep.equal([206, `bytes ${5 * MiB - 3}-${10 * MiB + 2}/${whole.length}`, true]);
  });
});

describe("local storage: as strict as S3", () => {
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  it("an x-amz-meta-* header that is not signed is refused with AccessDenied and HeadersNotSigned; nothing is stored", async () => {
    const res = await fetch(await s.presign("PUT", "strict/meta.txt"), {
      method: "PUT",
      headers: { "x-amz-meta-sha256": "forged" },
      body: "x",
    });
    const body = await res.text();
    expect([
      res.status,
      xmlText(body, "Code"),
      xmlText(body, "Message"),
      xmlText(body, "HeadersNotSigned"),
    ]).to.deep.equal([
      403,
      "AccessDenied",
      "There were headers present in the request which were not signed",
      "x-amz-meta-sha256",
    ]);
    const get = await fetch(await s.presign("GET", "strict/meta.txt"));
    expect(get.status).to.equal(404);
  });

  it("a signed x-amz-meta-* header is stored and returned", async () => {
    const url = await s.presign("PUT", "strict/meta.txt", { signedHeaders: { "x-amz-meta-sha256": "abc" } });
    expect(
      (await fetch(url, { method: "PUT", headers: { "x-amz-meta-sha256": "abc" }, body: "x" })).status,
    ).to.equal(200);
    const get = await fetch(await s.presign("GET", "strict/meta.txt", { as: READER }));
    expect(get.headers.get("x-amz-meta-sha256")).to.equal("abc");
  });

  it("a repeated Content-Type header is refused with 400 and stores nothing", async () => {
    const url = new URL(await s.presign("PUT", "strict/type.txt"));
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: "PUT" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.setHeader("content-type", ["text/plain", "text/html"]);
      req.setHeader("content-length", "1");
      req.end("x");
    });
    expect(status).to.equal(400);
    expect((await fetch(await s.presign("GET", "strict/type.txt"))).status).to.equal(404);
  });

  it("an object PUT and a part PUT without Content-Length (chunked) get 411 MissingContentLength", async () => {
    const chunked = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("chunk"));
          controller.close();
        },
      });
    const res = await fetch(await s.presign("PUT", "strict/chunked.txt"), {
      method: "PUT",
      body: chunked(),
      duplex: "half",
    } as RequestInit);
    expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([411, "MissingContentLength"]);
    const created = await fetch(await s.presign("POST", "strict/chunked.txt", { query: { uploads: "" } }), {
      method: "POST",
    });
    const uploadId = xmlText(await created.text(), "UploadId") ?? "";
    const part = await fetch(
      await s.presign("PUT", "strict/chunked.txt", { query: { uploadId, partNumber: "1" } }),
      {
        method: "PUT",
        body: chunked(),
        duplex: "half",
      } as RequestInit,
    );
    expect([part.status, xmlText(await part.text(), "Code")]).to.deep.equal([411, "MissingContentLength"]);
  });

  for (const [name, header, code] of [
    [
      "a Content-MD5 of other bytes",
      { "content-md5": Buffer.from(md5("other"), "hex").toString("base64") },
      "BadDigest",
    ],
    ["a Content-MD5 that is not one", { "content-md5": "bm90LW1kNQ==" }, "InvalidDigest"],
  ] as const) {
    it(`a PUT with ${name} is 400 ${code} and stores nothing`, async () => {
      const url = await s.presign("PUT", "strict/md5.txt", { signedHeaders: header });
      const res = await fetch(url, { method: "PUT", headers: header, body: "these bytes" });
      expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([400, code]);
      expect((await fetch(await s.presign("GET", "strict/md5.txt"))).status).to.equal(404);
    });
  }
});
