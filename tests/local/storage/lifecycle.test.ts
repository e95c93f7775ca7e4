import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { actionTime, resolveLifecycle } from "../../../local/storage/store/lifecycle";
import { BUCKET, type StorageFixture, startStorageFixture } from "./fixture";

/** Bytes of the object data under `dir` (the keys' logs and snapshots not counted). */
function bytesUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    if (e.isDirectory()) return sum + bytesUnder(join(dir, e.name));
    return ["log.jsonl", "index.json"].includes(e.name) ? sum : sum + statSync(join(dir, e.name)).size;
  }, 0);
}

describe("local storage: lifecycle rules as deployed", function () {
  this.timeout(60_000);
  let now = new Date("2026-03-01T10:00:00.000Z");
  const clock = () => now;
  const at = (iso: string) => {
    now = new Date(iso);
  };

  it("computes S3's action time: the days added to the start, rounded up to the next midnight UTC", () => {
    expect(new Date(actionTime("2014-01-15T10:30:00.000Z", 3)).toISOString()).to.equal(
      "2014-01-19T00:00:00.000Z",
    );
    expect(new Date(actionTime("2014-01-15T00:00:00.000Z", 1)).toISOString()).to.equal(
      "2014-01-16T00:00:00.000Z",
    );
    expect(resolveLifecycle()).to.deep.equal({
      noncurrentVersionExpirationDays: 30,
      abortIncompleteMultipartUploadDays: 7,
      expiredObjectDeleteMarker: true,
    });
    expect(() => resolveLifecycle({ noncurrentVersionExpirationDays: 0 })).to.throw(
      "[lifecycle.noncurrentVersionExpirationDays] must be a whole number of days of at least 1, got 0",
    );
  });

  it("noncurrent versions go 30 days after their successor, then the delete marker left alone, and uploads 7 days after they began; the bytes are freed", async () => {
    at("2026-03-01T10:00:00.000Z");
    const s: StorageFixture = await startStorageFixture({ clock });
    try {
      const put = async (key: string, body: string) =>
        (await fetch(await s.presign("PUT", key), { method: "PUT", body })).headers.get("x-amz-version-id");
      const remove = async (key: string) =>
        (await fetch(await s.presign("DELETE", key), { method: "DELETE" })).status;
      // Requests are signed by the storage's clock, which the storage checks them against.
      const versions = async () => {
        const xml = await (await fetch(await s.presign("GET", "", { query: { versions: "" } }))).text();
        return [
          ...xml.matchAll(
            /<(Version|DeleteMarker)><Key>([^<]*)<\/Key><VersionId>[^<]*<\/VersionId><IsLatest>(\w+)</g,
          ),
        ]
          .map(
            ([, kind, key, latest]) =>
              `${key} ${kind === "DeleteMarker" ? "marker" : latest === "true" ? "current" : "old"}`,
          )
          .sort();
      };
      const upload = async (key: string) =>
        (await fetch(await s.presign("POST", key, { query: { uploads: "" } }), { method: "POST" })).status;
      await put("a.txt", "a1".repeat(5000));
      await upload("early.bin");
      at("2026-03-01T11:00:00.000Z");
      await put("a.txt", "a2");
      await put("kept.txt", "kept");
      at("2026-03-01T12:00:00.000Z");
      expect(await remove("a.txt")).to.equal(204);
      at("2026-03-07T12:00:00.000Z");
      await upload("late.bin");
      const uploads = join(s.dataDir, "multipart", BUCKET);
      const bytesBefore = bytesUnder(join(s.dataDir, "versions", BUCKET));

      at("2026-03-08T23:59:59.999Z");
      expect(await s.storage.sweep()).to.deep.equal({
        noncurrentVersions: 0,
        deleteMarkers: 0,
        uploads: 0,
        bytes: 0,
      });
      at("2026-03-09T00:00:00.000Z");
      expect(await s.storage.sweep()).to.deep.equal({
        noncurrentVersions: 0,
        deleteMarkers: 0,
        uploads: 1,
        bytes: 0,
      });
      expect(readdirSync(uploads)).to.have.length(1);
      at("2026-03-31T23:59:59.999Z");
      // The upload begun on March 7 went at midnight on March 15.
      expect(await s.storage.sweep()).to.deep.equal({
        noncurrentVersions: 0,
        deleteMarkers: 0,
        uploads: 1,
        bytes: 0,
      });
      expect(readdirSync(uploads)).to.deep.equal([]);
      expect(await versions()).to.deep.equal(["a.txt marker", "a.txt old", "a.txt old", "kept.txt current"]);
      // a1 became noncurrent at 11:00 and a2 at 12:00 on March 1: both expire at midnight on April 1,
      // and the delete marker, with nothing left behind it, goes in the same sweep.
      at("2026-04-01T00:00:00.000Z");
      expect(await s.storage.sweep()).to.deep.equal({
        noncurrentVersions: 2,
        deleteMarkers: 1,
        uploads: 0,
        bytes: 10_002,
      });
      expect(await versions()).to.deep.equal(["kept.txt current"]);
      expect(bytesBefore - bytesUnder(join(s.dataDir, "versions", BUCKET))).to.equal(10_002);
    } finally {
      await s.close();
    }
  });

  it("the days are options; the storage sweeps at start and then periodically by its clock", async () => {
    at("2026-05-01T10:00:00.000Z");
    const lifecycle = {
      noncurrentVersionExpirationDays: 2,
      abortIncompleteMultipartUploadDays: 1,
      sweepIntervalMs: 10,
    };
    let s = await startStorageFixture({ clock, lifecycle });
    const dataDir = s.dataDir;
    const put = async (body: string) => {
      const res = await fetch(await s.presign("PUT", "p.txt"), { method: "PUT", body });
      return res.headers.get("x-amz-version-id") ?? "";
    };
    const status = async (versionId: string) =>
      (await fetch(await s.presign("GET", "p.txt", { query: { versionId } }))).status;
    const v1 = await put("one");
    const v2 = await put("two");
    await s.stop();
    // Two days after v2 replaced v1, rounded up to midnight: the sweep at start removes v1.
    at("2026-05-04T00:00:00.000Z");
    s = await startStorageFixture({ dataDir, clock, lifecycle });
    expect(s.storage.startSweep).to.deep.equal({
      noncurrentVersions: 1,
      deleteMarkers: 0,
      uploads: 0,
      bytes: 3,
    });
    expect([await status(v1), await status(v2)]).to.deep.equal([404, 200]);
    const v3 = await put("three");
    at("2026-05-07T00:00:00.000Z");
    // The periodic sweep: wait for it to remove v2, which v3 replaced.
    while ((await status(v2)) !== 404) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await status(v3)).to.equal(200);
    await s.close();
  });
});
