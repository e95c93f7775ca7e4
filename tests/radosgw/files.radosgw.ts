import { createHash, randomBytes } from "node:crypto";
import { expect } from "chai";
import { Crc64Nvme } from "../../functions/api/checksums";
import { s3FileStore } from "../../functions/s3/files";
import { S3Presigner } from "../../functions/signers/s3-presigner";
import { functionUrlEvent } from "../support/events";
import { startFakeCloudFront } from "../support/handler-harness";
import {
  createBucket,
  credentials,
  endpoint,
  radosgwHandler,
  region,
  whereChecksumsChecked,
} from "../support/radosgw";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const crcOf = (b: Buffer) => new Crc64Nvme().update(b).digest();

/** The handler's file-store calls (ListObjectsV2, CopyObject, UploadPartCopy, DeleteObjects, ListObjectVersions) on a real S3. */
function apiFor(
  bucket: string,
  copyLimits?: { singleCopyBytes: number; copyPartBytes: number },
  cloudfrontApi?: string,
) {
  const s3 = { bucket, region, endpoint };
  const handle = radosgwHandler(
    bucket,
    300,
    copyLimits ? { files: s3FileStore(s3, async () => credentials, { copyLimits }) } : {},
    cloudfrontApi ? { cdn: { distributionId: "E2QWRUHAPOMQZL", apiEndpoint: cloudfrontApi } } : {},
  );
  const call = async (
    method: string,
    path: string,
    options: { query?: string; headers?: Record<string, string>; body?: unknown } = {},
  ) => {
    const result = await handle(
      functionUrlEvent(method, path, {
        rawQueryString: options.query ?? "",
        headers: { accept: "application/json", ...options.headers },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      }),
    );
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
  };
  const put = async (key: string, body: Buffer) => {
    const step = await call("PUT", `/${key}`, { headers: { "x-amz-checksum-crc64nvme": crcOf(body) } });
    const res = await fetch(step.body.url, { method: "PUT", headers: step.body.headers, body });
    expect(res.status, await res.text()).to.equal(200);
  };
  const bytes = async (key: string) => {
    const url = await new S3Presigner(s3, async () => credentials).presign({
      method: "GET",
      key,
      expiresInSeconds: 60,
      now: new Date(),
    });
    const res = await fetch(url);
    return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined;
  };
  return { call, put, bytes };
}

describe("the file store's S3 calls against Ceph radosgw", function () {
  this.timeout(120_000);
  const bucket = `sfs-f-${Date.now()}`;
  before(() => createBucket(bucket, true));

  it("lists one level and recursively, paging at the limit", async () => {
    const api = apiFor(bucket);
    const keys = ["list/a.txt", "list/b.txt", "list/c/d.txt", "list/c/e.txt", "list/f/g.txt"];
    for (const key of keys) await api.put(key, Buffer.from(key));
    const one = await api.call("GET", "/list/");
    expect(one.body.objects.map((o: { key: string }) => o.key)).to.deep.equal(["list/a.txt", "list/b.txt"]);
    expect(one.body.prefixes).to.deep.equal(["list/c/", "list/f/"]);
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const page: { body: { objects: Array<{ key: string }>; next: string | null } } = await api.call(
        "GET",
        "/list/",
        {
          query: `recursive&limit=2${after ? `&after=${encodeURIComponent(after)}` : ""}`,
        },
      );
      pages.push(page.body.objects.map((o) => o.key));
      after = page.body.next;
    } while (after);
    expect(pages).to.deep.equal([keys.slice(0, 2), keys.slice(2, 4), keys.slice(4)]);
  });

  it("copies with CopyObject, and part by part with UploadPartCopy", async () => {
    const small = apiFor(bucket, { singleCopyBytes: 6 * 1024 * 1024, copyPartBytes: 5 * 1024 * 1024 });
    const body = randomBytes(11 * 1024 * 1024);
    await small.put("copy/src.bin", body);
    const single = await apiFor(bucket).call("PUT", "/copy/one.bin", {
      headers: { "copy-source": "/copy/src.bin" },
    });
    expect(single.status, JSON.stringify(single.body)).to.equal(200);
    const parts = await small.call("PUT", "/copy/parts.bin", { headers: { "copy-source": "/copy/src.bin" } });
    expect(parts.status, JSON.stringify(parts.body)).to.equal(200);
    expect(parts.body.size).to.equal(11 * 1024 * 1024);
    expect(sha256((await small.bytes("copy/one.bin")) ?? Buffer.alloc(0))).to.equal(sha256(body));
    expect(sha256((await small.bytes("copy/parts.bin")) ?? Buffer.alloc(0))).to.equal(sha256(body));
  });

  it("moves, deletes in a batch, lists versions and restores a deleted key byte for byte", async () => {
    const api = apiFor(bucket);
    const body = randomBytes(4096);
    await api.put("ver/doc.bin", body);
    const moved = await api.call("POST", "/ver/doc.bin", { query: "move", body: { to: "ver/moved.bin" } });
    expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
    expect(await api.bytes("ver/doc.bin")).to.equal(undefined);
    const batch = await api.call("POST", "/", {
      query: "delete",
      body: { keys: ["ver/moved.bin", "ver/none.bin"] },
    });
    expect(batch.body).to.deep.equal({ deleted: ["ver/moved.bin", "ver/none.bin"], errors: [] });
    const versions = await api.call("GET", "/ver/moved.bin", { query: "versions" });
    expect(
      versions.body.versions.map((v: { deleteMarker: boolean; isLatest: boolean }) => [
        v.deleteMarker,
        v.isLatest,
      ]),
    ).to.deep.equal([
      [true, true],
      [false, false],
    ]);
    const kept = versions.body.versions[1].versionId as string;
    const restored = await api.call("POST", "/ver/moved.bin", {
      query: "restore",
      body: { versionId: kept },
    });
    expect(restored.status, JSON.stringify(restored.body)).to.equal(200);
    expect(sha256((await api.bytes("ver/moved.bin")) ?? Buffer.alloc(0))).to.equal(sha256(body));
  });
  it("pages a key's versions with limit=1 across a delete marker; a version of another key is 400 InvalidToken", async () => {
    const api = apiFor(bucket);
    await api.put("tok/doc.bin", Buffer.from("1"));
    await api.put("tok/doc.bin", Buffer.from("22"));
    const del = await api.call("DELETE", "/tok/doc.bin");
    expect((await fetch(del.body.url, { method: "DELETE" })).status).to.equal(204);
    const seen: Array<[number | null, boolean]> = [];
    let after: string | null = null;
    do {
      const page: {
        status: number;
        body: { versions: Array<{ size?: number; deleteMarker: boolean }>; next: string | null };
      } = await api.call("GET", "/tok/doc.bin", {
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
    expect([res.status, res.body.error.code]).to.deep.equal([400, "InvalidToken"]);
  });

  it("purges: ListObjectVersions, DeleteObjects with version IDs, then one CreateInvalidation", async () => {
    const cloudfront = await startFakeCloudFront(credentials, () => new Date());
    try {
      const api = apiFor(bucket, undefined, cloudfront.url);
      const body = randomBytes(100);
      await api.put("pur/doc.bin", body);
      await api.put("pur/doc.bin", Buffer.from("second"));
      const del = await api.call("DELETE", "/pur/doc.bin");
      expect((await fetch(del.body.url, { method: "DELETE" })).status).to.equal(204);
      await api.put("pur/doc.bin.keep", body);
      await api.put("pur/two.bin", body);
      const listed = await api.call("GET", "/pur/", { query: "recursive" });
      await whereChecksumsChecked(bucket, "listings name each object's checksum algorithm and type", () => {
        expect(listed.body.objects.map((o: { checksum?: unknown }) => o.checksum)).to.deep.equal([
          { algorithm: "CRC64NVME", type: "FULL_OBJECT" },
          { algorithm: "CRC64NVME", type: "FULL_OBJECT" },
        ]);
      });
      const one = await api.call("DELETE", "/pur/doc.bin", { query: "purge" });
      expect([one.status, one.body]).to.deep.equal([
        200,
        {
          key: "pur/doc.bin",
          deletedVersions: 3,
          invalidation: { id: "I0000000000001", status: "InProgress", paths: ["/pur/doc.bin*"] },
        },
      ]);
      expect((await api.call("GET", "/pur/doc.bin", { query: "versions" })).body.versions).to.deep.equal([]);
      expect(
        (await api.call("GET", "/pur/doc.bin.keep", { query: "versions" })).body.versions,
      ).to.have.length(1);
      const batch = await api.call("POST", "/", {
        query: "delete&purge",
        body: { keys: ["pur/doc.bin.keep", "pur/two.bin"] },
      });
      expect([batch.status, batch.body]).to.deep.equal([
        200,
        {
          purged: [
            { key: "pur/doc.bin.keep", deletedVersions: 1 },
            { key: "pur/two.bin", deletedVersions: 1 },
          ],
          errors: [],
          invalidation: {
            id: "I0000000000002",
            status: "InProgress",
            paths: ["/pur/doc.bin.keep*", "/pur/two.bin*"],
          },
        },
      ]);
      expect((await api.call("GET", "/pur/", { query: "recursive" })).body.objects).to.deep.equal([]);
      expect(cloudfront.requests.map((r) => r.verified)).to.deep.equal([true, true]);
    } finally {
      await cloudfront.close();
    }
  });
});
