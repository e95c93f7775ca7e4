import { expect } from "chai";
import { FAKE_LAST_MODIFIED, fakeEtag } from "./fake-s3-origin";
import { BUCKET, type EdgeFixture, EXPIRES, startEdgeFixture } from "./fixture";

const V1 = Buffer.from("version one bytes");
const V2 = Buffer.from("version two, longer bytes");

/** The query an origin request carried, without the SigV4 parameters the edge signs it with. */
const forwardedQuery = (fixture: EdgeFixture) =>
  fixture.origin.requests.map((r) => r.query.filter(([name]) => !name.startsWith("X-Amz-")));

async function read(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return {
    status: res.status,
    cache: res.headers.get("x-cache"),
    headers: res.headers,
    body: await res.text(),
  };
}

describe("local CloudFront edge: cache key and origin request", () => {
  let fixture: EdgeFixture;
  beforeEach(async () => {
    fixture = await startEdgeFixture();
    fixture.origin.put("docs/a b.txt", { versionId: "V1", body: V1 });
    fixture.origin.put("docs/a b.txt", { versionId: "V2", body: V2 });
  });
  afterEach(() => fixture.close());

  it("keys on versionId: two signatures of one version are one miss then a hit; the origin gets versionId only", async () => {
    const first = await read(fixture.sign("/docs/a%20b.txt?versionId=V1"));
    const second = await read(fixture.sign("/docs/a%20b.txt?versionId=V1", EXPIRES + 60));
    expect([first.status, first.cache, first.body]).to.deep.equal([
      200,
      "Miss from cloudfront",
      V1.toString(),
    ]);
    expect([second.status, second.cache, second.body]).to.deep.equal([
      200,
      "Hit from cloudfront",
      V1.toString(),
    ]);
    expect(second.headers.get("x-amz-version-id")).to.equal("V1");
    expect(fixture.origin.requests.map((r) => [r.method, r.path])).to.deep.equal([
      ["GET", `/${BUCKET}/docs/a%20b.txt`],
    ]);
    expect(forwardedQuery(fixture)).to.deep.equal([[["versionId", "V1"]]]);
    expect(fixture.edge.cacheStats()).to.deep.equal({ entries: 1, bytes: V1.length, hits: 1, misses: 1 });
  });

  it("every version is its own entry, with its own bytes and x-amz-version-id", async () => {
    const one = await read(fixture.sign("/docs/a%20b.txt?versionId=V1"));
    const two = await read(fixture.sign("/docs/a%20b.txt?versionId=V2"));
    const oneAgain = await read(fixture.sign("/docs/a%20b.txt?versionId=V1"));
    expect([one.body, one.headers.get("x-amz-version-id"), one.cache]).to.deep.equal([
      V1.toString(),
      "V1",
      "Miss from cloudfront",
    ]);
    expect([two.body, two.headers.get("x-amz-version-id"), two.cache]).to.deep.equal([
      V2.toString(),
      "V2",
      "Miss from cloudfront",
    ]);
    expect([oneAgain.body, oneAgain.cache]).to.deep.equal([V1.toString(), "Hit from cloudfront"]);
    expect(fixture.edge.cacheStats()).to.deep.equal({
      entries: 2,
      bytes: V1.length + V2.length,
      hits: 1,
      misses: 2,
    });
  });

  it("forwards response-content-disposition and keys on it; order and case of parameters count as sent", async () => {
    const disposition = "attachment%3B%20filename%2A%3DUTF-8%27%27r%C3%A9sum%C3%A9.txt";
    const named = await read(
      fixture.sign(`/docs/a%20b.txt?versionId=V1&response-content-disposition=${disposition}`),
    );
    expect([named.status, named.cache, named.body]).to.deep.equal([
      200,
      "Miss from cloudfront",
      V1.toString(),
    ]);
    expect(named.headers.get("content-disposition")).to.equal("attachment; filename*=UTF-8''résumé.txt");
    const swapped = await read(
      fixture.sign(`/docs/a%20b.txt?response-content-disposition=${disposition}&versionId=V1`),
    );
    expect(swapped.cache).to.equal("Miss from cloudfront");
    const plain = await read(fixture.sign("/docs/a%20b.txt?versionId=V1"));
    expect([plain.cache, plain.headers.get("content-disposition")]).to.deep.equal([
      "Miss from cloudfront",
      null,
    ]);
    // `VersionId` is not the whitelisted name: it neither keys the cache nor reaches S3, so the
    // current version is read under the path-only key.
    const otherCase = await read(fixture.sign("/docs/a%20b.txt?VersionId=V1"));
    expect([otherCase.cache, otherCase.body]).to.deep.equal(["Miss from cloudfront", V2.toString()]);
    const pathOnly = await read(fixture.sign("/docs/a%20b.txt"));
    expect([pathOnly.cache, pathOnly.body]).to.deep.equal(["Hit from cloudfront", V2.toString()]);
    const decoded = "attachment; filename*=UTF-8''résumé.txt";
    expect(forwardedQuery(fixture)).to.deep.equal([
      [
        ["versionId", "V1"],
        ["response-content-disposition", decoded],
      ],
      [
        ["response-content-disposition", decoded],
        ["versionId", "V1"],
      ],
      [["versionId", "V1"]],
      [],
    ]);
  });

  it("an etag tag of an unversioned bucket keys the cache and reaches S3, which ignores it", async () => {
    const tag = fakeEtag(V2).slice(1, -1);
    const first = await read(fixture.sign(`/docs/a%20b.txt?etag=${tag}`));
    const second = await read(fixture.sign(`/docs/a%20b.txt?etag=${tag}`));
    expect([first.cache, second.cache, second.body]).to.deep.equal([
      "Miss from cloudfront",
      "Hit from cloudfront",
      V2.toString(),
    ]);
    expect(forwardedQuery(fixture)).to.deep.equal([[["etag", tag]]]);
  });

  it("a tampered versionId fails the signature: the cache-key parameters are signed", async () => {
    const url = fixture.sign("/docs/a%20b.txt?versionId=V1").replace("versionId=V1", "versionId=V2");
    const res = await read(url);
    expect([res.status, res.body]).to.deep.equal([
      403,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>',
    ]);
    expect(fixture.origin.requests).to.deep.equal([]);
  });

  it("serves ranges, If-Range and If-None-Match from the cache", async () => {
    const url = fixture.sign("/docs/a%20b.txt?versionId=V2");
    await read(url);
    const etag = fakeEtag(V2);
    const ranged = await read(url, { headers: { range: "bytes=8-10", "if-range": etag } });
    expect([ranged.status, ranged.cache, ranged.headers.get("content-range"), ranged.body]).to.deep.equal([
      206,
      "Hit from cloudfront",
      `bytes 8-10/${V2.length}`,
      "two",
    ]);
    const byDate = await read(url, { headers: { range: "bytes=0-6", "if-range": FAKE_LAST_MODIFIED } });
    expect([byDate.status, byDate.body]).to.deep.equal([206, "version"]);
    const changed = await read(url, { headers: { range: "bytes=8-10", "if-range": '"other"' } });
    expect([changed.status, changed.body]).to.deep.equal([200, V2.toString()]);
    const unchanged = await read(url, { headers: { "if-none-match": etag } });
    expect([unchanged.status, unchanged.headers.get("etag"), unchanged.body]).to.deep.equal([304, etag, ""]);
    expect(fixture.origin.requests.length).to.equal(1);
  });
});

describe("local CloudFront edge: bounded cache", () => {
  const SIZE = 600 * 1024;
  let fixture: EdgeFixture;
  before(async () => {
    // Eight 60 MiB objects under a 256 MiB bound, scaled down by 100: three objects fit.
    fixture = await startEdgeFixture({ maxCacheBytes: 2_000_000, maxCachedObjectBytes: 1_000_000 });
    for (let i = 1; i <= 8; i++) {
      fixture.origin.put(`big/${i}.bin`, { versionId: `V${i}`, body: Buffer.alloc(SIZE, i) });
    }
    fixture.origin.put("big/huge.bin", { versionId: "VH", body: Buffer.alloc(1_000_001, 9) });
  });
  after(() => fixture.close());
  const get = async (i: number | string) => {
    const res = await fetch(fixture.sign(`/big/${i}.bin?versionId=V${i === "huge" ? "H" : i}`));
    const body = Buffer.from(await res.arrayBuffer());
    return { cache: res.headers.get("x-cache"), length: body.length, first: body[0] };
  };

  it("reading eight objects keeps the cache within its bound, evicting the least recently used", async () => {
    for (let i = 1; i <= 8; i++)
      expect(await get(i)).to.deep.equal({ cache: "Miss from cloudfront", length: SIZE, first: i });
    expect(fixture.edge.cacheStats()).to.deep.equal({ entries: 3, bytes: 3 * SIZE, hits: 0, misses: 8 });
    // Cached now, least recently used first: 6, 7, 8. Reading 6 leaves 7 the least recently used.
    expect((await get(6)).cache).to.equal("Hit from cloudfront");
    expect((await get(1)).cache).to.equal("Miss from cloudfront");
    expect((await get(8)).cache).to.equal("Hit from cloudfront");
    expect((await get(6)).cache).to.equal("Hit from cloudfront");
    expect((await get(1)).cache).to.equal("Hit from cloudfront");
    expect(await get(7)).to.deep.equal({ cache: "Miss from cloudfront", length: SIZE, first: 7 });
    expect(fixture.edge.cacheStats()).to.deep.equal({ entries: 3, bytes: 3 * SIZE, hits: 4, misses: 10 });
  });

  it("an object above maxCachedObjectBytes streams through uncached", async () => {
    const before = fixture.edge.cacheStats();
    expect(await get("huge")).to.deep.equal({ cache: "Miss from cloudfront", length: 1_000_001, first: 9 });
    expect(await get("huge")).to.deep.equal({ cache: "Miss from cloudfront", length: 1_000_001, first: 9 });
    expect(fixture.edge.cacheStats()).to.deep.equal({ ...before, misses: before.misses + 2 });
  });
});
