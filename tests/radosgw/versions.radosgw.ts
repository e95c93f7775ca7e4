import { createHash, randomBytes } from "node:crypto";
import { expect } from "chai";
import { S3Presigner } from "../../functions/signers/s3-presigner";
import { functionUrlEvent } from "../support/events";
import { createBucket, credentials, endpoint, radosgwHandler, region } from "../support/radosgw";

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const md5 = (b: Buffer | string) => createHash("md5").update(b).digest("hex");

/** The handler with its version lookup pointed at a real S3 (radosgw). */
function apiFor(bucket: string) {
  const s3 = { bucket, region, endpoint };
  const handle = radosgwHandler(bucket);
  const call = async (method: string, key: string, query = "") => {
    const result = await handle(
      functionUrlEvent(method, `/${key}`, { rawQueryString: query, headers: { accept: "application/json" } }),
    );
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
  };
  const put = async (key: string, body: string) => {
    const step = await call("PUT", key);
    const res = await fetch(step.body.url, { method: "PUT", headers: step.body.headers, body });
    expect(res.status, await res.text()).to.equal(200);
  };
  /** What the CDN does with a read URL: GET the object from S3 with the URL's versionId, signed (OAC). */
  const originRead = async (key: string, versionId?: string) =>
    fetch(
      await new S3Presigner(s3, async () => credentials).presign({
        method: "GET",
        key,
        query: versionId ? { versionId } : {},
        expiresInSeconds: 60,
        now: new Date(),
      }),
    );
  return { call, put, originRead };
}

describe("version-pinned reads against Ceph radosgw", function () {
  this.timeout(60_000);
  const versioned = `sfs-v-${Date.now()}`;
  const plain = `sfs-p-${Date.now()}`;
  before(async () => {
    await createBucket(versioned, true);
    await createBucket(plain, false);
  });

  it("each overwrite is a new version; the read names it, and an older versionId still serves its bytes", async () => {
    const api = apiFor(versioned);
    const first = randomBytes(1000).toString("hex");
    const second = randomBytes(1500).toString("hex");
    await api.put("docs/v.txt", first);
    const one = await api.call("GET", "docs/v.txt");
    await api.put("docs/v.txt", second);
    const two = await api.call("GET", "docs/v.txt");
    expect(one.status).to.equal(200);
    expect(two.status).to.equal(200);
    const v1 = one.body.object.versionId as string;
    const v2 = two.body.object.versionId as string;
    expect(v1).to.be.a("string").and.not.equal("null");
    expect(v2).to.be.a("string").and.not.equal(v1);
    expect(one.body.object).to.deep.include({ key: "docs/v.txt", size: 2000, etag: `"${md5(first)}"` });
    expect(two.body.object).to.deep.include({ key: "docs/v.txt", size: 3000, etag: `"${md5(second)}"` });
    expect(new URL(one.body.url).searchParams.get("versionId")).to.equal(v1);
    expect(new URL(two.body.url).searchParams.get("versionId")).to.equal(v2);
    expect(sha256(await (await api.originRead("docs/v.txt", v1)).text())).to.equal(sha256(first));
    expect(sha256(await (await api.originRead("docs/v.txt", v2)).text())).to.equal(sha256(second));
    const pinned = await api.call("GET", "docs/v.txt", `versionId=${encodeURIComponent(v1)}`);
    expect(pinned.body.object).to.deep.include({ versionId: v1, size: 2000 });
  });

  it("a delete leaves a delete marker: the read is 404 NoSuchKey, the old version still readable by id", async () => {
    const api = apiFor(versioned);
    await api.put("docs/gone.txt", "bytes");
    const before = await api.call("GET", "docs/gone.txt");
    const del = await api.call("DELETE", "docs/gone.txt");
    expect((await fetch(del.body.url, { method: "DELETE" })).status).to.equal(204);
    expect(await api.call("GET", "docs/gone.txt")).to.deep.equal({
      status: 404,
      body: { error: { code: "NoSuchKey", message: "no object at docs/gone.txt" } },
    });
    expect(await api.call("HEAD", "docs/gone.txt")).to.deep.equal({
      status: 404,
      body: { error: { code: "NoSuchKey", message: "no object at docs/gone.txt" } },
    });
    const old = await api.call(
      "GET",
      "docs/gone.txt",
      `versionId=${encodeURIComponent(before.body.object.versionId)}`,
    );
    expect(old.status).to.equal(200);
    expect(await (await api.originRead("docs/gone.txt", before.body.object.versionId)).text()).to.equal(
      "bytes",
    );
  });

  it("a missing key is 404 from the function (s3:ListBucket lets S3 say 404 rather than 403)", async () => {
    expect((await apiFor(versioned).call("GET", "never/there.txt")).status).to.equal(404);
  });

  it("a bucket without versioning pins the ETag", async () => {
    const api = apiFor(plain);
    await api.put("docs/p.txt", "plain");
    const read = await api.call("GET", "docs/p.txt");
    expect(read.body.object).to.deep.include({ key: "docs/p.txt", size: 5, etag: `"${md5("plain")}"` });
    expect(Object.keys(read.body.object)).to.deep.equal([
      "key",
      "size",
      "etag",
      "contentType",
      "lastModified",
    ]);
    expect(new URL(read.body.url).searchParams.get("etag")).to.equal(md5("plain"));
    expect(new URL(read.body.url).searchParams.has("versionId")).to.equal(false);
  });
});
