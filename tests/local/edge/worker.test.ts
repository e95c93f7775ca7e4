import { expect } from "chai";
import { startEdgeWorker } from "../../../local/edge/worker";
import { type EdgeFixture, startEdgeFixture } from "./fixture";

describe("local CloudFront edge in a worker thread", () => {
  let fixture: EdgeFixture;
  const logs: Record<string, unknown>[] = [];
  const body = Buffer.from("bytes served from the edge's own thread");
  before(async () => {
    fixture = await startEdgeFixture({ log: (fields) => logs.push(fields) }, startEdgeWorker);
    fixture.origin.put("w/one.txt", { versionId: "V1", body });
  });
  after(() => fixture.close());

  it("serves, caches and reports its cache counters and log lines across the thread", async () => {
    const url = fixture.sign("/w/one.txt?versionId=V1", Math.floor(Date.now() / 1000) + 300);
    const answers = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url);
      answers.push([res.status, res.headers.get("x-cache"), await res.text()]);
    }
    expect(answers).to.deep.equal([
      [200, "Miss from cloudfront", body.toString()],
      [200, "Hit from cloudfront", body.toString()],
    ]);
    expect(fixture.edge.cacheStats()).to.deep.equal({ entries: 1, bytes: body.length, hits: 1, misses: 1 });
    const refused = await fetch(url.replace("versionId=V1", "versionId=V2"));
    expect(refused.status).to.equal(403);
    await refused.arrayBuffer();
    // Log lines are written when a response finishes; wait for the third one to cross over.
    for (let i = 0; i < 50 && logs.filter((l) => l.status !== undefined).length < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(
      logs.filter((l) => l.status !== undefined).map((l) => [l.component, l.method, l.status, l.cache]),
    ).to.deep.equal([
      ["edge", "GET", 200, "Miss from cloudfront"],
      ["edge", "GET", 200, "Hit from cloudfront"],
      ["edge", "GET", 403, "Error from cloudfront"],
    ]);
  });

  it("a port in use fails the start with EADDRINUSE", async () => {
    const port = Number(new URL(fixture.edge.url).port);
    const failure = await startEdgeWorker({
      origin: { bucket: "b", region: "us-east-1", endpoint: fixture.origin.url },
      credentials: { accessKeyId: "A", secretAccessKey: "S" },
      publicKeys: new Map(),
      port,
    }).then(
      () => undefined,
      (error: Error & { code?: string }) => error.code,
    );
    expect(failure).to.equal("EADDRINUSE");
  });
});
