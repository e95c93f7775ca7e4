import { createHash } from "node:crypto";
import { connect } from "node:net";
import { expect } from "chai";
import { BUCKET, type EdgeFixture, startEdgeFixture } from "./fixture";

const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");

/** A gate the fake origin waits on before sending the second half of a body. */
function gate(): { until: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const until = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { until, open };
}

/** A GET that resolves once `first` bytes have arrived, then reads the rest when asked. */
async function startRead(url: string, first: number, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < first) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    length += value.length;
  }
  return {
    status: res.status,
    cache: res.headers.get("x-cache"),
    received: length,
    async rest(): Promise<Buffer> {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return Buffer.concat(chunks);
        chunks.push(Buffer.from(value));
      }
    },
  };
}

const originReads = (fixture: EdgeFixture, key: string) =>
  fixture.origin.requests.filter((r) => r.path === `/${BUCKET}/${key}`).length;

describe("local CloudFront edge: misses stream and collapse into one origin read", () => {
  let fixture: EdgeFixture;
  afterEach(() => fixture.close());

  it("16 parallel first reads of one object: one origin read, each viewer streamed every byte", async () => {
    fixture = await startEdgeFixture();
    const body = Buffer.alloc(4 * 1024 * 1024, 7);
    body.write("the first bytes", 0);
    const held = gate();
    fixture.origin.put("big.bin", {
      versionId: "V1",
      body,
      hold: { half: body.length / 2, until: held.until },
    });
    const url = fixture.sign("/big.bin?versionId=V1");
    // Every viewer has its headers and the first half while the origin still holds the second.
    const reads = await Promise.all(Array.from({ length: 16 }, () => startRead(url, body.length / 2)));
    expect(reads.map((r) => r.received >= body.length / 2)).to.deep.equal(new Array(16).fill(true));
    held.open();
    const bodies = await Promise.all(reads.map((r) => r.rest()));
    expect(bodies.map(md5)).to.deep.equal(new Array(16).fill(md5(body)));
    expect(originReads(fixture, "big.bin")).to.equal(1);
    expect(reads.filter((r) => r.cache === "Miss from cloudfront").length).to.equal(1);
    expect(reads.filter((r) => r.cache === "Hit from cloudfront").length).to.equal(15);
    expect(fixture.edge.cacheStats()).to.deep.equal({ entries: 1, bytes: body.length, hits: 15, misses: 1 });
  });

  it("a range asked while the object is in flight is cut from it, without a second origin read", async () => {
    fixture = await startEdgeFixture();
    const body = Buffer.from("0123456789".repeat(1000));
    const held = gate();
    fixture.origin.put("r.txt", { versionId: "V1", body, hold: { half: 5000, until: held.until } });
    const url = fixture.sign("/r.txt?versionId=V1");
    const whole = await startRead(url, 5000);
    const early = await startRead(url, 4, { range: "bytes=10-13" });
    const late = fetch(url, { headers: { range: "bytes=9990-9999" } });
    held.open();
    expect([early.status, early.cache, (await early.rest()).toString()]).to.deep.equal([
      206,
      "Hit from cloudfront",
      "0123",
    ]);
    const lateAnswer = await late;
    expect([lateAnswer.status, await lateAnswer.text()]).to.deep.equal([206, "0123456789"]);
    expect((await whole.rest()).equals(body)).to.equal(true);
    expect(originReads(fixture, "r.txt")).to.equal(1);
  });

  it("a viewer that stops reading holds up neither the origin read nor the other viewers", async () => {
    fixture = await startEdgeFixture();
    const body = Buffer.alloc(16 * 1024 * 1024, 3);
    const held = gate();
    fixture.origin.put("slow.bin", { versionId: "V1", body, hold: { half: 1024, until: held.until } });
    const url = new URL(fixture.sign("/slow.bin?versionId=V1"));
    // A viewer that sends its request and then never reads a byte of the answer.
    const stalled = connect(Number(url.port), "127.0.0.1");
    stalled.pause();
    stalled.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    while (fixture.origin.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const other = await startRead(url.href, 1024);
    held.open();
    expect(md5(await other.rest())).to.equal(md5(body));
    // The object is cached whole while the stalled viewer has read nothing.
    while (fixture.edge.cacheStats().entries === 0) await new Promise((r) => setTimeout(r, 5));
    expect(fixture.edge.cacheStats()).to.deep.include({ entries: 1, bytes: body.length });
    expect(originReads(fixture, "slow.bin")).to.equal(1);
    stalled.destroy();
  });

  it("objects in flight count against the bound: one that does not fit beside them streams uncached", async () => {
    fixture = await startEdgeFixture({ maxCacheBytes: 1_500_000, maxCachedObjectBytes: 1_500_000 });
    const a = Buffer.alloc(1_000_000, 1);
    const b = Buffer.alloc(1_000_000, 2);
    const held = gate();
    fixture.origin.put("a.bin", { versionId: "V1", body: a, hold: { half: 1000, until: held.until } });
    fixture.origin.put("b.bin", { versionId: "V1", body: b });
    const readA = await startRead(fixture.sign("/a.bin?versionId=V1"), 1000);
    const readB = await fetch(fixture.sign("/b.bin?versionId=V1"));
    expect([readB.status, readB.headers.get("x-cache")]).to.deep.equal([200, "Miss from cloudfront"]);
    expect(Buffer.from(await readB.arrayBuffer()).equals(b)).to.equal(true);
    held.open();
    expect((await readA.rest()).equals(a)).to.equal(true);
    while (fixture.edge.cacheStats().entries === 0) await new Promise((r) => setTimeout(r, 5));
    expect(fixture.edge.cacheStats()).to.deep.equal({ entries: 1, bytes: a.length, hits: 0, misses: 2 });
    const again = await fetch(fixture.sign("/b.bin?versionId=V1"));
    await again.arrayBuffer();
    expect(again.headers.get("x-cache")).to.equal("Miss from cloudfront");
    expect(originReads(fixture, "b.bin")).to.equal(2);
  });

  it("an origin that breaks off mid-body ends the viewers' transfers early and caches nothing", async () => {
    fixture = await startEdgeFixture({ maxCacheBytes: 2_000_000 });
    const body = Buffer.alloc(2_000_000, 5);
    fixture.origin.put("broken.bin", { versionId: "V1", body, breakAfter: 500_000 });
    const url = fixture.sign("/broken.bin?versionId=V1");
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        fetch(url)
          .then((res) => res.arrayBuffer())
          .then(
            (bytes) => `whole: ${bytes.byteLength}`,
            () => "cut short",
          ),
      ),
    );
    expect(outcomes).to.deep.equal(["cut short", "cut short"]);
    expect(fixture.edge.cacheStats()).to.deep.include({ entries: 0, bytes: 0 });
    expect(originReads(fixture, "broken.bin")).to.equal(1);
    // The room it held is free again: a whole object of the bound's size still gets cached.
    fixture.origin.put("broken.bin", { versionId: "V2", body });
    const whole = await fetch(fixture.sign("/broken.bin?versionId=V2"));
    expect(Buffer.from(await whole.arrayBuffer()).equals(body)).to.equal(true);
    while (fixture.edge.cacheStats().entries === 0) await new Promise((r) => setTimeout(r, 5));
    expect(fixture.edge.cacheStats()).to.deep.include({ entries: 1, bytes: body.length });
  });
});
