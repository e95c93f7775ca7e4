import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";

interface ReadInstruction {
  readonly url: string;
  readonly object: { readonly versionId: string };
}

/** Version-pinned reads through the whole local stack: function URL, edge (own thread), storage. */
describe("local stack: version-pinned reads through the edge", function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-edge-stack-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function put(key: string, body: string): Promise<void> {
    const res = await fetch(`${stack.apiUrl}/${key}`, {
      method: "PUT",
      headers: { accept: "application/json" },
    });
    const step = (await res.json()) as { url: string; headers: Record<string, string> };
    expect((await fetch(step.url, { method: "PUT", headers: step.headers, body })).status).to.equal(200);
  }
  async function readUrl(keyAndQuery: string): Promise<ReadInstruction> {
    const res = await fetch(`${stack.apiUrl}/${keyAndQuery}`, { headers: { accept: "application/json" } });
    expect(res.status).to.equal(200);
    return (await res.json()) as ReadInstruction;
  }
  async function get(url: string) {
    const res = await fetch(url);
    return {
      status: res.status,
      cache: res.headers.get("x-cache"),
      version: res.headers.get("x-amz-version-id"),
      disposition: res.headers.get("content-disposition"),
      body: await res.text(),
    };
  }

  it("an overwrite is read at once under a new key; a URL issued before keeps its version, cached", async () => {
    await put("pin/v.txt", "one");
    const first = await readUrl("pin/v.txt");
    expect(await get(first.url)).to.deep.include({ status: 200, cache: "Miss from cloudfront", body: "one" });
    await put("pin/v.txt", "two");
    const second = await readUrl("pin/v.txt");
    expect(second.object.versionId).to.not.equal(first.object.versionId);
    expect(await get(second.url)).to.deep.equal({
      status: 200,
      cache: "Miss from cloudfront",
      version: second.object.versionId,
      disposition: null,
      body: "two",
    });
    expect(await get(first.url)).to.deep.equal({
      status: 200,
      cache: "Hit from cloudfront",
      version: first.object.versionId,
      disposition: null,
      body: "one",
    });
    expect(await get(second.url)).to.deep.include({ cache: "Hit from cloudfront", body: "two" });
  });

  it("a share link with a download name gets S3's Content-Disposition through the edge, cached apart", async () => {
    await put("pin/report.txt", "quarterly");
    const plain = await readUrl("pin/report.txt");
    const named = await readUrl(`pin/report.txt?download=${encodeURIComponent("résumé 2026.txt")}`);
    expect(await get(plain.url)).to.deep.include({ cache: "Miss from cloudfront", disposition: null });
    expect(await get(named.url)).to.deep.include({
      status: 200,
      cache: "Miss from cloudfront",
      disposition: "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.txt",
      body: "quarterly",
    });
    expect(await get(named.url)).to.deep.include({
      cache: "Hit from cloudfront",
      disposition: "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.txt",
    });
  });
});
