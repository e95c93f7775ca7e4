import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { BUCKET, md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

const MiB = 1024 * 1024;

/** Every file under `dir`, with its size. */
function filesUnder(dir: string): Array<[string, number]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap(
    (e): Array<[string, number]> =>
      e.isDirectory()
        ? filesUnder(join(dir, e.name))
        : [[join(dir, e.name), statSync(join(dir, e.name)).size]],
  );
}
const bytes = (dir: string) => filesUnder(dir).reduce((sum, [, size]) => sum + size, 0);

describe("local storage: on a full disk, space can still be freed", function () {
  this.timeout(60_000);
  let full = false;
  const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture({
      writeFault: () => {
        if (full) throw enospc;
      },
    });
  });
  after(() => s.close());

  const put = async (key: string, body: Buffer) => {
    const res = await fetch(await s.presign("PUT", key), { method: "PUT", body });
    return { status: res.status, versionId: res.headers.get("x-amz-version-id") ?? "" };
  };
  // The body is read to its end: a response left unread holds its connection, and closing the
  // storage waits for every response in flight to finish.
  const get = async (key: string, versionId: string) => {
    const res = await fetch(await s.presign("GET", key, { query: { versionId } }));
    await res.arrayBuffer();
    return res.status;
  };

  it("every write failing with ENOSPC: DELETE of a version, an aborted upload and DeleteObjects succeed and free their bytes; a restart keeps the removals", async () => {
    const a1 = await put("full/a", randomBytes(2 * MiB));
    const a2 = await put("full/a", randomBytes(MiB));
    const b1 = await put("full/b", randomBytes(3 * MiB));
    const b2 = await put("full/b", randomBytes(MiB));
    const created = await fetch(await s.presign("POST", "full/up", { query: { uploads: "" } }), {
      method: "POST",
    });
    const uploadId = xmlText(await created.text(), "UploadId") ?? "";
    const part = await fetch(await s.presign("PUT", "full/up", { query: { uploadId, partNumber: "1" } }), {
      method: "PUT",
      body: randomBytes(5 * MiB),
    });
    expect([a1, a2, b1, b2].map((p) => p.status).concat(part.status)).to.deep.equal([
      200, 200, 200, 200, 200,
    ]);
    const versionsDir = join(s.dataDir, "versions", BUCKET);
    const uploadsDir = join(s.dataDir, "multipart", BUCKET);
    const before = { versions: bytes(versionsDir), uploads: bytes(uploadsDir) };

    full = true;
    try {
      expect((await put("full/c", randomBytes(1000))).status).to.equal(500);
      const removed = await fetch(
        await s.presign("DELETE", "full/a", { query: { versionId: a1.versionId } }),
        {
          method: "DELETE",
        },
      );
      expect(removed.status).to.equal(204);
      const aborted = await fetch(await s.presign("DELETE", "full/up", { query: { uploadId } }), {
        method: "DELETE",
      });
      expect(aborted.status).to.equal(204);
      const xml = `<Delete><Object><Key>full/b</Key><VersionId>${b1.versionId}</VersionId></Object><Object><Key>full/b</Key><VersionId>${b2.versionId}</VersionId></Object></Delete>`;
      const headers = { "content-md5": Buffer.from(md5(xml), "hex").toString("base64") };
      const many = await fetch(
        await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers }),
        {
          method: "POST",
          headers,
          body: xml,
        },
      );
      const answer = await many.text();
      expect([
        many.status,
        [...answer.matchAll(/<Deleted>/g)].length,
        answer.includes("<Error>"),
      ]).to.deep.equal([200, 2, false]);
      const after = { versions: bytes(versionsDir), uploads: bytes(uploadsDir) };
      process.stdout.write(
        `      full disk: versions ${before.versions} -> ${after.versions} bytes, uploads ${before.uploads} -> ${after.uploads} bytes\n`,
      );
      // What is left is a2's megabyte and the key logs; all of the upload's parts are gone.
      expect(before.versions - after.versions).to.be.at.least(6 * MiB);
      expect(after.versions).to.be.below(MiB + 64 * 1024);
      expect(after.uploads).to.equal(0);
      expect([
        await get("full/a", a1.versionId),
        await get("full/a", a2.versionId),
        await get("full/b", b1.versionId),
      ]).to.deep.equal([404, 200, 404]);
    } finally {
      full = false;
    }
    await s.stop();
    s = await startStorageFixture({ dataDir: s.dataDir });
    expect([
      await get("full/a", a1.versionId),
      await get("full/a", a2.versionId),
      await get("full/b", b2.versionId),
    ]).to.deep.equal([404, 200, 404]);
    // The removals whose log lines could not be written were kept by their tombstones, now settled.
    expect(filesUnder(versionsDir).filter(([file]) => file.includes(".deleted"))).to.deep.equal([]);
    expect(
      readdirSync(versionsDir, { recursive: true }).filter((name) => String(name).endsWith(".deleted")),
    ).to.deep.equal([]);
  });
});
