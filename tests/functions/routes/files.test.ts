import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Crc64Nvme } from "../../../functions/api/checksums";
import { PreconditionFailed } from "../../../functions/api/http-error";
import type { HandlerDeps } from "../../../functions/handler";
import type { FunctionUrlResult } from "../../../functions/http/function-url";
import { type FileStore, s3FileStore } from "../../../functions/s3/files";
import { s3ObjectLookup } from "../../../functions/s3/objects";
import { S3Presigner } from "../../../functions/signers/s3-presigner";
import { type RunningStorage, startStorage } from "../../../local/storage/server";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, harness } from "../../support/handler-harness";
import { type JwksFixture, startJwks } from "../../support/jwks-server";
import { ecdsaKey } from "../../support/keys";
import { seedObjects } from "../../support/seed-objects";

const writer = { accessKeyId: "FUNCTIONROLE", secretAccessKey: randomBytes(20).toString("hex") };
const reader = { accessKeyId: "EDGEOAC", secretAccessKey: randomBytes(20).toString("hex") };
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in the assertions, each against an exact value.
type Json = any;

interface Api {
  call(
    method: string,
    path: string,
    options?: { query?: string; headers?: Record<string, string>; body?: unknown },
  ): Promise<{ status: number; body: Json; headers: Record<string, string> }>;
  put(key: string, bytes: Buffer, headers?: Record<string, string>): Promise<void>;
  bytes(key: string, versionId?: string): Promise<Buffer | undefined>;
}

/** The handler over the local storage through the real S3 client, as deployed over S3. */
function apiOver(storage: RunningStorage, extra: Partial<HandlerDeps> = {}, token?: string): Api {
  const s3 = { bucket: "files", region: "us-east-1", endpoint: storage.url };
  const { config: given, ...deps } = extra;
  const config = { ...(given ?? baseConfig()), s3 };
  const clock = () => new Date();
  const { handle } = harness(config, ecdsaKey, {
    credentials: async () => writer,
    clock,
    objects: s3ObjectLookup(new S3Presigner(s3, async () => writer), clock),
    ...deps,
  });
  const call: Api["call"] = async (method, path, options = {}) => {
    const result: FunctionUrlResult = await handle(
      functionUrlEvent(method, path, {
        rawQueryString: options.query ?? "",
        headers: {
          accept: "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      }),
    );
    return {
      status: result.statusCode,
      body: result.body ? JSON.parse(result.body) : undefined,
      headers: { ...result.headers },
    };
  };
  const presigner = new S3Presigner(s3, async () => reader);
  return {
    call,
    async put(key, bytes, headers = {}) {
      const step = await call("PUT", `/${key.split("/").map(encodeURIComponent).join("/")}`, { headers });
      expect(step.status, JSON.stringify(step.body)).to.equal(200);
      const res = await fetch(step.body.url, { method: "PUT", headers: step.body.headers, body: bytes });
      expect(res.status, await res.text()).to.equal(200);
    },
    async bytes(key, versionId) {
      const url = await presigner.presign({
        method: "GET",
        key,
        query: versionId ? { versionId } : {},
        expiresInSeconds: 60,
        now: new Date(),
      });
      const res = await fetch(url);
      return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined;
    },
  };
}

/** The status and body of an answer, for comparing both exactly. */
const answer = (r: { status: number; body: Json }) => ({ status: r.status, body: r.body });

const MANY_KEYS = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(4, "0")}.txt`);
const BATCH_KEYS = Array.from({ length: 1000 }, (_, i) => `batch/${String(i).padStart(4, "0")}`);

/** The checksum S3 computes for an object written whole without one: CRC64NVME of its bytes. */
const crc64 = (bytes: Buffer) => ({
  algorithm: "CRC64NVME",
  type: "FULL_OBJECT",
  value: new Crc64Nvme().update(bytes).digest(),
});

describe("file store: list, copy, move, delete many, versions, restore", function () {
  this.timeout(120_000);
  let dataDir: string;
  let storage: RunningStorage;
  let api: Api;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-files-"));
    // The thousands of keys the listing and the batch delete need are written straight to the
    // store's directory: through the API they cost minutes of fsyncs and prove nothing more.
    await seedObjects(
      dataDir,
      "files",
      [...MANY_KEYS, ...BATCH_KEYS].map((key) => ({ key })),
    );
    storage = await startStorage({ dataDir, bucket: "files", writer, reader, log: () => {} });
    api = apiOver(storage);
  });
  after(async () => {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("pages a recursive listing of 2,500 keys at limit 1000: 1000, 1000, 500, in key order", async () => {
    const keys = MANY_KEYS;
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await api.call("GET", "/many/", {
        query: `recursive&limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      });
      expect(page.status).to.equal(200);
      expect(page.body.prefix).to.equal("many/");
      expect(page.body.prefixes).to.deep.equal([]);
      pages.push(page.body.objects.map((o: { key: string }) => o.key));
      after = page.body.next ?? undefined;
    } while (after);
    expect(pages.map((p) => p.length)).to.deep.equal([1000, 1000, 500]);
    expect(pages.flat()).to.deep.equal(keys);
  });

  it("lists one level by default: the objects there, and the prefixes below", async () => {
    await api.put("level/a.txt", Buffer.from("a"));
    await api.put("level/sub/b.txt", Buffer.from("bb"));
    await api.put("level/sub2/deep/c.txt", Buffer.from("ccc"));
    const page = await api.call("GET", "/level/");
    expect(page.status).to.equal(200);
    expect(page.body.objects.map((o: { key: string; size: number }) => [o.key, o.size])).to.deep.equal([
      ["level/a.txt", 1],
    ]);
    expect(Object.keys(page.body.objects[0])).to.deep.equal([
      "key",
      "size",
      "etag",
      "lastModified",
      "checksum",
    ]);
    // S3 gives every new object a CRC64NVME checksum; a listing names its algorithm, not its value.
    expect(page.body.objects[0].checksum).to.deep.equal({ algorithm: "CRC64NVME", type: "FULL_OBJECT" });
    expect(page.body.objects[0].etag).to.equal(`"${createHash("md5").update("a").digest("hex")}"`);
    expect(page.body.prefixes).to.deep.equal(["level/sub/", "level/sub2/"]);
    expect(page.body.next).to.equal(null);
  });

  it("refuses a limit outside 1..1000 and a token it did not issue", async () => {
    // Well-formed as this API's token, but carrying a continuation token S3 never issued.
    const forged = Buffer.from(JSON.stringify({ a: 0, t: "not-a-storage-token" })).toString("base64url");
    for (const [path, query, code] of [
      ["/level/", "limit=0", "InvalidLimit"],
      ["/level/", "limit=1001", "InvalidLimit"],
      ["/level/", "after=garbage", "InvalidToken"],
      ["/level/", `after=${forged}`, "InvalidToken"],
      ["/level/a.txt", "versions&after=garbage", "InvalidToken"],
    ]) {
      const res = await api.call("GET", path as string, { query: query as string });
      expect([res.status, res.body.error.code], query).to.deep.equal([400, code]);
    }
  });

  it("copies server-side, and the copy has the same bytes and metadata", async () => {
    const bytes = randomBytes(100_000);
    await api.put("copy/src.bin", bytes, { "content-type": "image/png" });
    const res = await api.call("PUT", "/copy/dst%20here.bin", {
      headers: { "copy-source": "/copy/src.bin" },
    });
    expect(res.status).to.equal(200);
    expect(Object.keys(res.body)).to.deep.equal(["key", "etag", "size", "versionId", "checksum"]);
    expect(res.body.checksum).to.deep.equal(crc64(bytes));
    expect(res.body).to.deep.include({
      key: "copy/dst here.bin",
      etag: `"${createHash("md5").update(bytes).digest("hex")}"`,
      size: 100_000,
    });
    expect(sha256((await api.bytes("copy/dst here.bin")) ?? Buffer.alloc(0))).to.equal(sha256(bytes));
    const head = await api.call("HEAD", "/copy/dst%20here.bin");
    expect(head.body.contentType).to.equal("image/png");
  });

  it("copies above the single-copy size part by part (UploadPartCopy)", async () => {
    const small = apiOver(storage, {
      files: s3FileStore(
        { bucket: "files", region: "us-east-1", endpoint: storage.url },
        async () => writer,
        { copyLimits: { singleCopyBytes: 6 * 1024 * 1024, copyPartBytes: 5 * 1024 * 1024 } },
      ),
    });
    const bytes = randomBytes(12 * 1024 * 1024 + 7);
    await small.put("big/src.bin", bytes, { "content-type": "image/png" });
    const res = await small.call("PUT", "/big/dst.bin", { headers: { "copy-source": "/big/src.bin" } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.size).to.equal(12 * 1024 * 1024 + 7);
    expect(res.body.etag).to.match(/^"[0-9a-f]{32}-3"$/);
    expect(sha256((await small.bytes("big/dst.bin")) ?? Buffer.alloc(0))).to.equal(sha256(bytes));
    expect((await small.call("HEAD", "/big/dst.bin")).body.contentType).to.equal("image/png");
  });

  it("a copy of a missing source is 404 NoSuchKey; a bad Copy-Source is 400", async () => {
    const missing = await api.call("PUT", "/copy/x", { headers: { "copy-source": "/copy/none" } });
    expect(answer(missing)).to.deep.equal({
      status: 404,
      body: { error: { code: "NoSuchKey", message: "no object at copy/none" } },
    });
    const bad = await api.call("PUT", "/copy/x", { headers: { "copy-source": "copy/none" } });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.code).to.equal("InvalidCopySource");
    const dots = await api.call("PUT", "/copy/x", { headers: { "copy-source": "/copy/../secret" } });
    expect([dots.status, dots.body.error.code]).to.deep.equal([400, "InvalidKey"]);
  });

  it("moves: copy, then the source is gone", async () => {
    const bytes = randomBytes(5000);
    await api.put("move/from.bin", bytes);
    const res = await api.call("POST", "/move/from.bin", { query: "move", body: { to: "move/to.bin" } });
    expect(res.status).to.equal(200);
    expect(res.body.key).to.equal("move/to.bin");
    expect(sha256((await api.bytes("move/to.bin")) ?? Buffer.alloc(0))).to.equal(sha256(bytes));
    expect(await api.bytes("move/from.bin")).to.equal(undefined);
  });

  it("a move whose copy fails leaves the source where it was", async () => {
    const bytes = randomBytes(5000);
    await api.put("move/keep.bin", bytes);
    const real = s3FileStore(
      { bucket: "files", region: "us-east-1", endpoint: storage.url },
      async () => writer,
    );
    const deletes: string[] = [];
    const failing: FileStore = {
      ...real,
      copy: async () => {
        throw new Error("copy interrupted");
      },
      deleteOne: async (key) => {
        deletes.push(key);
      },
    };
    const res = await apiOver(storage, { files: failing }).call("POST", "/move/keep.bin", {
      query: "move",
      body: { to: "move/elsewhere.bin" },
    });
    expect(res.status).to.equal(500);
    expect(deletes).to.deep.equal([]);
    expect(sha256((await api.bytes("move/keep.bin")) ?? Buffer.alloc(0))).to.equal(sha256(bytes));
    expect(await api.bytes("move/elsewhere.bin")).to.equal(undefined);
  });

  it("a write to the source while it is moved stays current there: the move is 412, takes its copy back and deletes nothing", async () => {
    const moved = randomBytes(5000);
    const newer = randomBytes(6000);
    await api.put("move/raced.bin", moved);
    const real = s3FileStore(
      { bucket: "files", region: "us-east-1", endpoint: storage.url },
      async () => writer,
    );
    // Another writer gets to the source between the copy and the delete.
    const racing: FileStore = {
      ...real,
      copy: async (source, destination) => {
        const done = await real.copy(source, destination);
        await api.put("move/raced.bin", newer);
        return done;
      },
    };
    const res = await apiOver(storage, { files: racing }).call("POST", "/move/raced.bin", {
      query: "move",
      body: { to: "move/raced-to.bin" },
    });
    expect([res.status, res.body]).to.deep.equal([
      412,
      {
        error: {
          code: "PreconditionFailed",
          message:
            "move/raced.bin changed while it was moved (another request wrote, moved or deleted it), so it was not deleted; the copy was taken back, so move/raced-to.bin is as it was",
        },
      },
    ]);
    expect(sha256((await api.bytes("move/raced.bin")) ?? Buffer.alloc(0))).to.equal(sha256(newer));
    expect(await api.bytes("move/raced-to.bin")).to.equal(undefined);
    expect((await api.call("GET", "/move/raced-to.bin", { query: "versions" })).body.versions).to.deep.equal(
      [],
    );
  });

  it("keeps versions newest first, and restore brings a deleted key back byte for byte", async () => {
    const one = randomBytes(3000);
    const two = randomBytes(4000);
    await api.put("ver/doc.bin", one);
    const first = (await api.call("GET", "/ver/doc.bin")).body.object.versionId as string;
    await api.put("ver/doc.bin", two);
    const del = await api.call("DELETE", "/ver/doc.bin");
    expect((await fetch(del.body.url, { method: "DELETE" })).status).to.equal(204);
    expect((await api.call("GET", "/ver/doc.bin")).status).to.equal(404);
    const versions = await api.call("GET", "/ver/doc.bin", { query: "versions" });
    expect(versions.status).to.equal(200);
    expect(versions.body.key).to.equal("ver/doc.bin");
    expect(versions.body.next).to.equal(null);
    expect(
      versions.body.versions.map((v: { size?: number; isLatest: boolean; deleteMarker: boolean }) => [
        v.size ?? null,
        v.isLatest,
        v.deleteMarker,
      ]),
    ).to.deep.equal([
      [null, true, true],
      [4000, false, false],
      [3000, false, false],
    ]);
    expect(versions.body.versions[2].versionId).to.equal(first);
    const restored = await api.call("POST", "/ver/doc.bin", { query: "restore", body: { versionId: first } });
    expect(restored.status).to.equal(200);
    expect(Object.keys(restored.body)).to.deep.equal(["key", "etag", "size", "versionId", "checksum"]);
    expect(restored.body.checksum).to.deep.equal(crc64(one));
    expect(restored.body).to.deep.include({ key: "ver/doc.bin", size: 3000 });
    expect(restored.body.versionId).to.not.equal(first);
    expect(sha256((await api.bytes("ver/doc.bin")) ?? Buffer.alloc(0))).to.equal(sha256(one));
    const after = await api.call("GET", "/ver/doc.bin", { query: "versions" });
    expect(after.body.versions).to.have.length(4);
  });

  it("restore of another key's version is 404 NoSuchVersion; a malformed version ID is 400, as S3 says", async () => {
    await api.put("ver/other.bin", Buffer.from("x"));
    await api.put("ver/third.bin", Buffer.from("y"));
    const foreign = (await api.call("GET", "/ver/third.bin")).body.object.versionId as string;
    const res = await api.call("POST", "/ver/other.bin", { query: "restore", body: { versionId: foreign } });
    expect(answer(res)).to.deep.equal({
      status: 404,
      body: { error: { code: "NoSuchVersion", message: `no version ${foreign} of ver/other.bin` } },
    });
    const bad = await api.call("POST", "/ver/other.bin", { query: "restore", body: { versionId: "nope" } });
    expect(answer(bad)).to.deep.equal({
      status: 400,
      body: { error: { code: "InvalidVersionId", message: '"nope" is not a version ID of this store' } },
    });
  });

  for (const [name, loserHadObject] of [
    ["held an object", true],
    ["was empty", false],
  ] as const) {
    it(`two moves of one source at once: the loser, whose destination ${name}, takes its copy back and answers 412`, async () => {
      const bytes = randomBytes(4000);
      const before = randomBytes(100);
      const id = loserHadObject ? "held" : "empty";
      await api.put(`race/${id}/src.bin`, bytes);
      if (loserHadObject) await api.put(`race/${id}/b.bin`, before);
      const versionsBefore = (await api.call("GET", `/race/${id}/b.bin`, { query: "versions" })).body
        .versions;
      const real = s3FileStore(
        { bucket: "files", region: "us-east-1", endpoint: storage.url },
        async () => writer,
      );
      // Both moves copy the source before either deletes it, and the move to a.bin deletes first.
      let aDeleted: () => void = () => {};
      const deletedA = new Promise<void>((resolve) => {
        aDeleted = resolve;
      });
      let copies = 0;
      let bothCopied: () => void = () => {};
      const copied = new Promise<void>((resolve) => {
        bothCopied = resolve;
      });
      let deletes = 0;
      const racing: FileStore = {
        ...real,
        copy: async (source, destination) => {
          const done = await real.copy(source, destination);
          if (++copies === 2) bothCopied();
          await copied;
          if (destination.endsWith("b.bin")) await deletedA;
          return done;
        },
        deleteOne: async (key, ifMatch) => {
          try {
            await real.deleteOne(key, ifMatch);
          } finally {
            if (++deletes === 1) aDeleted();
          }
        },
      };
      const racer = apiOver(storage, { files: racing });
      const [toA, toB] = await Promise.all([
        racer.call("POST", `/race/${id}/src.bin`, { query: "move", body: { to: `race/${id}/a.bin` } }),
        racer.call("POST", `/race/${id}/src.bin`, { query: "move", body: { to: `race/${id}/b.bin` } }),
      ]);
      expect([toA.status, toA.body.key]).to.deep.equal([200, `race/${id}/a.bin`]);
      expect(answer(toB)).to.deep.equal({
        status: 412,
        body: {
          error: {
            code: "PreconditionFailed",
            message: `race/${id}/src.bin changed while it was moved (another request wrote, moved or deleted it), so it was not deleted; the copy was taken back, so race/${id}/b.bin is as it was`,
          },
        },
      });
      expect(sha256((await api.bytes(`race/${id}/a.bin`)) ?? Buffer.alloc(0))).to.equal(sha256(bytes));
      expect(await api.bytes(`race/${id}/src.bin`)).to.equal(undefined);
      const loser = await api.bytes(`race/${id}/b.bin`);
      expect(loser && sha256(loser)).to.equal(loserHadObject ? sha256(before) : undefined);
      expect((await api.call("GET", `/race/${id}/b.bin`, { query: "versions" })).body.versions).to.deep.equal(
        versionsBefore,
      );
    });
  }

  it("a move that loses a race in a bucket without versions says its copy stays; a failed take-back says which version to delete", async () => {
    await api.put("race/nv/src.bin", Buffer.from("src"));
    const real = s3FileStore(
      { bucket: "files", region: "us-east-1", endpoint: storage.url },
      async () => writer,
    );
    const lost = { deleteOne: async () => Promise.reject(new PreconditionFailed("race/nv/src.bin changed")) };
    const unversioned: FileStore = {
      ...real,
      ...lost,
      copy: async (source, destination) => {
        const { versionId: _, ...done } = await real.copy(source, destination);
        return done;
      },
    };
    const move = (files: FileStore, to: string) =>
      apiOver(storage, { files }).call("POST", "/race/nv/src.bin", { query: "move", body: { to } });
    expect(answer(await move(unversioned, "race/nv/x.bin"))).to.deep.equal({
      status: 412,
      body: {
        error: {
          code: "PreconditionFailed",
          message:
            "race/nv/src.bin changed while it was moved (another request wrote, moved or deleted it), so it was not deleted; race/nv/x.bin keeps the copy made, since this bucket keeps no versions to take it back by",
        },
      },
    });
    let made = "";
    const stuck: FileStore = {
      ...real,
      ...lost,
      copy: async (source, destination) => {
        const done = await real.copy(source, destination);
        made = done.versionId ?? "";
        return done;
      },
      deleteVersion: async () => Promise.reject(new Error("storage refused")),
    };
    const refused = await move(stuck, "race/nv/y.bin");
    expect(answer(refused)).to.deep.equal({
      status: 412,
      body: {
        error: {
          code: "PreconditionFailed",
          message: `race/nv/src.bin changed while it was moved (another request wrote, moved or deleted it), so it was not deleted; taking back the copy failed, so race/nv/y.bin holds it as version ${made}: delete that version to put race/nv/y.bin back as it was`,
        },
      },
    });
  });

  it("a batch delete on any path but / is 400 and deletes nothing: its keys are whole keys", async () => {
    await api.put("victim", Buffer.from("v"));
    for (const path of ["/photos/", "/photos/x.png"]) {
      const res = await api.call("POST", path, { query: "delete", body: { keys: ["victim"] } });
      expect(answer(res), path).to.deep.equal({
        status: 400,
        body: {
          error: {
            code: "InvalidQuery",
            message:
              "a batch delete is POST /?delete on the root, with whole keys in its body; no other path takes it",
          },
        },
      });
    }
    expect((await api.bytes("victim"))?.toString()).to.equal("v");
  });

  it("deletes 1,000 keys in one batch, in chunks sent at once, and names every one deleted", async () => {
    const keys = BATCH_KEYS;
    expect((await api.call("GET", "/batch/", { query: "recursive" })).body.objects).to.have.length(1000);
    const res = await api.call("POST", "/", { query: "delete", body: { keys } });
    expect(answer(res)).to.deep.equal({ status: 200, body: { deleted: keys, errors: [] } });
    const listed = await api.call("GET", "/batch/", { query: "recursive" });
    expect(listed.body.objects).to.deep.equal([]);
  });

  it("?versions&after= pages across a delete marker; a version ID of another key is 400 InvalidToken", async () => {
    await api.put("tok/doc.bin", Buffer.from("1"));
    await api.put("tok/doc.bin", Buffer.from("22"));
    const del = await api.call("DELETE", "/tok/doc.bin");
    expect((await fetch(del.body.url, { method: "DELETE" })).status).to.equal(204);
    const seen: Array<[number | null, boolean]> = [];
    let after: string | null = null;
    do {
      const page: { status: number; body: Json } = await api.call("GET", "/tok/doc.bin", {
        query: `versions&limit=1${after ? `&after=${encodeURIComponent(after)}` : ""}`,
      });
      expect(page.status, JSON.stringify(page.body)).to.equal(200);
      for (const v of page.body.versions) seen.push([v.size ?? null, v.deleteMarker]);
      after = page.body.next;
    } while (after);
    expect(seen).to.deep.equal([
      [null, true],
      [2, false],
      [1, false],
    ]);
    await api.put("tok/other.bin", Buffer.from("o"));
    const foreign = (await api.call("GET", "/tok/other.bin")).body.object.versionId as string;
    const res = await api.call("GET", "/tok/doc.bin", {
      query: `versions&after=${encodeURIComponent(foreign)}`,
    });
    expect(answer(res)).to.deep.equal({
      status: 400,
      body: {
        error: {
          code: "InvalidToken",
          message: "after must be the next token of the previous page of this listing",
        },
      },
    });
  });

  describe("under jwt rules {sub}/", () => {
    let jwks: JwksFixture;
    let alice: Api;
    let anonymous: Api;
    before(async () => {
      jwks = await startJwks();
      const auth = {
        mode: "jwt" as const,
        issuer: jwks.issuer,
        audience: jwks.audience,
        jwksUrl: jwks.url,
        algorithms: ["ES256"],
        rules: { read: ["{sub}/"], write: ["{sub}/"], delete: ["{sub}/"] },
      };
      const config = baseConfig({ auth, publicReadPrefixes: ["public/"] });
      alice = apiOver(storage, { config }, await jwks.sign({ sub: "alice" }));
      anonymous = apiOver(storage, { config });
      for (const key of [
        "alice/a.txt",
        "alice/sub/b.txt",
        "bob/secret.txt",
        "shared/x.txt",
        "public/p.txt",
      ]) {
        await api.put(key, Buffer.from(key));
      }
    });
    after(() => jwks.close());

    it("listing / shows only alice/ and the public prefix; recursively only their keys", async () => {
      const one = await alice.call("GET", "/");
      expect(one.body).to.deep.equal({
        prefix: "",
        objects: [],
        prefixes: ["alice/", "public/"],
        next: null,
      });
      const all = await alice.call("GET", "/", { query: "recursive" });
      expect(all.body.objects.map((o: { key: string }) => o.key)).to.deep.equal([
        "alice/a.txt",
        "alice/sub/b.txt",
        "public/p.txt",
      ]);
      expect(all.body.prefixes).to.deep.equal([]);
    });

    it("listing inside alice/ is a plain listing; bob/ is 403", async () => {
      const mine = await alice.call("GET", "/alice/");
      expect(mine.body.objects.map((o: { key: string }) => o.key)).to.deep.equal(["alice/a.txt"]);
      expect(mine.body.prefixes).to.deep.equal(["alice/sub/"]);
      const theirs = await alice.call("GET", "/bob/");
      expect(answer(theirs)).to.deep.equal({
        status: 403,
        body: { error: { code: "Forbidden", message: 'this caller may not list "bob/"' } },
      });
    });

    it("anonymous callers list only the public prefixes", async () => {
      const res = await anonymous.call("GET", "/");
      expect(res.body).to.deep.equal({ prefix: "", objects: [], prefixes: ["public/"], next: null });
    });

    it("an anonymous listing of a private prefix is 401 with the Bearer challenge, as a read of a private key is", async () => {
      for (const path of ["/bob/", "/alice/"]) {
        const listing = await anonymous.call("GET", path);
        const read = await anonymous.call("GET", "/bob/secret.txt");
        expect([listing.status, listing.body, listing.headers["www-authenticate"]], path).to.deep.equal([
          401,
          { error: { code: "Unauthorized", message: "a bearer token is required" } },
          'Bearer realm="signed-file-store"',
        ]);
        expect([read.status, read.body, read.headers["www-authenticate"]]).to.deep.equal([
          listing.status,
          listing.body,
          listing.headers["www-authenticate"],
        ]);
      }
    });

    it("copy needs read on the source and write on the destination; move also delete on the source", async () => {
      const fromBob = await alice.call("PUT", "/alice/stolen.txt", {
        headers: { "copy-source": "/bob/secret.txt" },
      });
      expect([fromBob.status, fromBob.body.error.code]).to.deep.equal([403, "Forbidden"]);
      const toBob = await alice.call("PUT", "/bob/gift.txt", { headers: { "copy-source": "/alice/a.txt" } });
      expect([toBob.status, toBob.body.error.code]).to.deep.equal([403, "Forbidden"]);
      const moveOut = await alice.call("POST", "/alice/a.txt", { query: "move", body: { to: "bob/a.txt" } });
      expect([moveOut.status, moveOut.body.error.code]).to.deep.equal([403, "Forbidden"]);
      expect((await api.bytes("alice/a.txt"))?.toString()).to.equal("alice/a.txt");
      const restore = await alice.call("POST", "/bob/secret.txt", {
        query: "restore",
        body: { versionId: "x" },
      });
      expect([restore.status, restore.body.error.code]).to.deep.equal([403, "Forbidden"]);
    });

    it("a batch delete removes what alice may delete and reports the rest", async () => {
      await api.put("alice/d1.txt", Buffer.from("1"));
      const res = await alice.call("POST", "/", {
        query: "delete",
        body: { keys: ["alice/d1.txt", "bob/secret.txt", "alice/../bob/secret.txt", "alice/never.txt"] },
      });
      expect(answer(res)).to.deep.equal({
        status: 200,
        body: {
          deleted: ["alice/d1.txt", "alice/never.txt"],
          errors: [
            {
              key: "bob/secret.txt",
              code: "Forbidden",
              message: 'this caller may not delete "bob/secret.txt"',
            },
            {
              key: "alice/../bob/secret.txt",
              code: "InvalidKey",
              message: 'the key has an empty, "." or ".." segment: ".." is not allowed',
            },
          ],
        },
      });
      expect(await api.bytes("alice/d1.txt")).to.equal(undefined);
      expect((await api.bytes("bob/secret.txt"))?.toString()).to.equal("bob/secret.txt");
    });
  });
});
