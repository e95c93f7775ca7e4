import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { IncompleteBodyError, writeDurably } from "../../../../local/storage/store/durable-write";
import { NOTHING_STAGED, ObjectStore } from "../../../../local/storage/store/object-store";
import { BUCKET, md5, READER, startStorageFixture } from "../fixture";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield part;
}

describe("object store on disk", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-store-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it("objects kept by the unversioned layout are served after an upgrade as the version S3 calls null", async () => {
    const legacy = join(dataDir, "objects", BUCKET);
    mkdirSync(legacy, { recursive: true });
    const bytes = randomBytes(5000);
    const key = "old/photo.png";
    writeFileSync(join(legacy, sha256(key)), bytes);
    writeFileSync(
      join(legacy, `${sha256(key)}.json`),
      JSON.stringify({
        key,
        size: bytes.length,
        etag: `"${md5(bytes)}"`,
        contentType: "image/png",
        contentDisposition: "inline",
        metadata: { sha256: "abc" },
        lastModified: "Sun, 22 Nov 2026 10:00:00 GMT",
      }),
    );
    // Bytes without a description were never acknowledged by the old layout.
    writeFileSync(join(legacy, sha256("never/acknowledged")), "partial");
    for (let start = 0; start < 2; start += 1) {
      const s = await startStorageFixture({ dataDir });
      const res = await fetch(await s.presign("GET", key, { as: READER }));
      expect([
        res.status,
        res.headers.get("x-amz-version-id"),
        res.headers.get("etag"),
        res.headers.get("content-type"),
        res.headers.get("content-disposition"),
        res.headers.get("x-amz-meta-sha256"),
        res.headers.get("last-modified"),
        Buffer.from(await res.arrayBuffer()).equals(bytes),
      ]).to.deep.equal([
        200,
        "null",
        `"${md5(bytes)}"`,
        "image/png",
        "inline",
        "abc",
        "Sun, 22 Nov 2026 10:00:00 GMT",
        true,
      ]);
      const byVersion = await fetch(
        await s.presign("GET", key, { as: READER, query: { versionId: "null" } }),
      );
      expect(byVersion.status).to.equal(200);
      await s.stop();
      expect(existsSync(legacy)).to.equal(false);
    }
  });

  it("a version renamed in before a crash, without its log line, never appears and is removed at start", async () => {
    const store = await ObjectStore.open(dataDir, BUCKET);
    const staged = await store.stage();
    writeFileSync(join(staged.dir, "data"), "kept");
    const kept = await store.install("crash/key", staged, {
      etag: `"${md5("kept")}"`,
      contentType: "text/plain",
      metadata: {},
      files: [{ file: "data", size: 4 }],
    });
    expect("versionId" in kept).to.equal(true);
    const keyDir = join(dataDir, "versions", BUCKET, sha256("crash/key"));
    // What a crash between the version's rename and its log line leaves: an unreferenced version,
    // a snapshot's temp file, a staged directory, and a key directory with no log at all.
    mkdirSync(join(keyDir, "B".repeat(32)));
    writeFileSync(join(keyDir, "B".repeat(32), "data"), "never acknowledged");
    writeFileSync(join(keyDir, "index.json.0a0a0a.tmp"), "{");
    mkdirSync(join(dataDir, "tmp", "half-staged"));
    const orphanKey = join(dataDir, "versions", BUCKET, sha256("crash/orphan"));
    mkdirSync(join(orphanKey, "C".repeat(32)), { recursive: true });
    const reopened = await ObjectStore.open(dataDir, BUCKET);
    expect(reopened.versions("crash/key").map((v) => v.versionId)).to.deep.equal([
      "versionId" in kept ? kept.versionId : "",
    ]);
    expect(readdirSync(keyDir).sort()).to.deep.equal(
      ["versionId" in kept ? kept.versionId : "", "log.jsonl"].sort(),
    );
    expect([
      readdirSync(join(dataDir, "tmp")),
      existsSync(orphanKey),
      [...reopened.keysAfter("")],
    ]).to.deep.equal([[], false, ["crash/key"]]);
  });

  it("10,000 versions of one key: the last 100 writes cost about what the first 100 did", async function () {
    this.timeout(120_000);
    const key = "history/one.txt";
    const put = async (store: ObjectStore, at: string, i: number) => {
      const staged = await store.stage();
      writeFileSync(join(staged.dir, "data"), `version ${i}`);
      const started = performance.now();
      const installed = await store.install(at, staged, {
        etag: `"${md5(`version ${i}`)}"`,
        contentType: "text/plain",
        metadata: { n: String(i) },
        files: [{ file: "data", size: `version ${i}`.length }],
      });
      if (!("versionId" in installed)) throw new Error("refused");
      return performance.now() - started;
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
    /**
     * 100 writes to the key, each followed by one to a key of its own with no history: the machine's
     * other load (its disk is shared) weighs on both alike, so their ratio is the history's cost.
     */
    const timed = async (store: ObjectStore, from: number, reference: string) => {
      const onKey: number[] = [];
      const onReference: number[] = [];
      for (let i = from; i < from + 100; i += 1) {
        onKey.push(await put(store, key, i));
        onReference.push(await put(store, reference, i));
      }
      return { key: median(onKey), reference: median(onReference) };
    };
    const first = await timed(await ObjectStore.open(dataDir, BUCKET), 0, "reference/first.txt");
    // The history in between is built without syncing each write, or the test would take minutes,
    // and of empty versions, which need no directory.
    const fast = await ObjectStore.open(dataDir, BUCKET, { durable: false });
    for (let i = 100; i < 9_900; i += 1) {
      await fast.install(key, NOTHING_STAGED, {
        etag: `"${md5("")}"`,
        contentType: "text/plain",
        metadata: { n: String(i) },
        files: [],
      });
    }
    const store = await ObjectStore.open(dataDir, BUCKET);
    const last = await timed(store, 9_900, "reference/last.txt");
    const ratio = last.key / last.reference / (first.key / first.reference);
    process.stdout.write(
      `      10,000 versions of one key, median ms per write: first 100 ${first.key.toFixed(2)} ` +
        `(a fresh key meanwhile ${first.reference.toFixed(2)}), last 100 ${last.key.toFixed(2)} ` +
        `(a fresh key meanwhile ${last.reference.toFixed(2)}); ratio ${ratio.toFixed(2)}\n`,
    );
    const versions = store.versions(key);
    expect([versions.length, versions[0]?.deleteMarker === false && versions[0].metadata.n]).to.deep.equal([
      10_000,
      "9999",
    ]);
    expect(ratio).to.be.below(3);
  });

  it("keys are listed in UTF-8 byte order, as S3 lists them (not UTF-16 order)", async () => {
    const store = await ObjectStore.open(dataDir, BUCKET);
    // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16 code units.
    for (const key of ["\u{1F600}", "\uFF5E", "a", "Z"]) {
      const staged = await store.stage();
      writeFileSync(join(staged.dir, "data"), "");
      await store.install(key, staged, {
        etag: '"x"',
        contentType: "t",
        metadata: {},
        files: [{ file: "data", size: 0 }],
      });
    }
    expect([...store.keysAfter("")]).to.deep.equal(["Z", "a", "\uFF5E", "\u{1F600}"]);
  });

  it("a body that ends before its Content-Length is an IncompleteBodyError and leaves no file", async () => {
    const file = join(dataDir, "short");
    let error: unknown;
    try {
      await writeDurably(chunks(Buffer.alloc(10)), file, { expectedLength: 100 });
    } catch (e) {
      error = e;
    }
    expect([error instanceof IncompleteBodyError, existsSync(file)]).to.deep.equal([true, false]);
  });

  it("a write the file system refuses rejects with the file system's error, not IncompleteBodyError, and leaves no file", async () => {
    const file = join(dataDir, "full");
    const enospc = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    let error: unknown;
    try {
      await writeDurably(chunks(Buffer.alloc(2 * 1024 * 1024)), file, {
        expectedLength: 2 * 1024 * 1024,
        fault: () => {
          throw enospc;
        },
      });
    } catch (e) {
      error = e;
    }
    expect([error, existsSync(file)]).to.deep.equal([enospc, false]);
  });
});
