import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SigV4Signer } from "../../../functions/signers/sigv4";
import { LOCAL_DISTRIBUTION_ID, type LocalStack, startLocalStack } from "../../../local/stack/stack";

const encodePath = (key: string) => key.split("/").map(encodeURIComponent).join("/");

/** The stack's CloudFront API, called as the function calls it: at cdn.apiEndpoint, with its keys. */
describe("local stack: the CloudFront API and the edge behind it", function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-cloudfront-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function upload(key: string, body: string): Promise<void> {
    const res = await fetch(`${stack.apiUrl}/${encodePath(key)}`, {
      method: "PUT",
      headers: { accept: "application/json" },
    });
    const step = (await res.json()) as { url: string; headers: Record<string, string> };
    expect((await fetch(step.url, { method: "PUT", headers: step.headers, body })).status).to.equal(200);
  }
  async function readUrl(key: string, query = ""): Promise<string> {
    const res = await fetch(`${stack.apiUrl}/${encodePath(key)}${query}`, {
      headers: { accept: "application/json" },
    });
    return ((await res.json()) as { url: string }).url;
  }
  const xCache = async (url: string) => {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.headers.get("x-cache");
  };

  it("the function's config points at it, for the local distribution", () => {
    expect(stack.handlerConfig.cdn).to.deep.equal({
      distributionId: LOCAL_DISTRIBUTION_ID,
      apiEndpoint: stack.cloudFrontApiUrl,
    });
  });

  it("an invalidation signed with the function's keys drops exactly the cached reads its path names", async () => {
    await upload("purge/a b.txt", "one");
    await upload("purge/a b.txt", "two");
    await upload("purge/keep.txt", "kept");
    const urls = [await readUrl("purge/a b.txt"), await readUrl("purge/keep.txt")];
    expect(await Promise.all(urls.map(xCache))).to.deep.equal([
      "Miss from cloudfront",
      "Miss from cloudfront",
    ]);
    expect(await Promise.all(urls.map(xCache))).to.deep.equal(["Hit from cloudfront", "Hit from cloudfront"]);

    const { writer } = JSON.parse(readFileSync(join(dataDir, "local-secrets.json"), "utf8")) as {
      writer: { accessKeyId: string; secretAccessKey: string };
    };
    const endpoint = new URL(
      `${stack.handlerConfig.cdn.apiEndpoint}/2020-05-31/distribution/${LOCAL_DISTRIBUTION_ID}/invalidation`,
    );
    const body = `<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>1</Quantity><Items><Path>/purge/a%20b.txt*</Path></Items></Paths><CallerReference>test-1</CallerReference></InvalidationBatch>`;
    const headers = new SigV4Signer().signHeaders(
      { method: "POST", path: endpoint.pathname, headers: { host: endpoint.host } },
      body,
      { region: "us-east-1", service: "cloudfront", credentials: writer, now: new Date() },
    );
    const res = await fetch(endpoint, { method: "POST", headers, body });
    expect(res.status).to.equal(201);
    expect(await res.text()).to.include("<Status>InProgress</Status>");
    expect(await Promise.all(urls.map(xCache))).to.deep.equal([
      "Miss from cloudfront",
      "Hit from cloudfront",
    ]);
  });

  it("a purge through the API revokes earlier read URLs: one cached at the edge and one never fetched, of an older version too", async () => {
    await upload("revoke/doc.txt", "one");
    const older = await readUrl("revoke/doc.txt");
    await upload("revoke/doc.txt", "two");
    const cached = await readUrl("revoke/doc.txt");
    // Never fetched: a day-long share link (its cache key is the cached URL's: signatures stay out
    // of it) and a named download (a cache key of its own, never filled).
    const shareLink = await readUrl("revoke/doc.txt", "?expires=86400");
    const named = await readUrl("revoke/doc.txt", "?download=doc-copy.txt");
    expect(new Set([cached, shareLink, named, older]).size).to.equal(4);
    expect(await xCache(cached)).to.equal("Miss from cloudfront");
    const hit = await fetch(shareLink);
    expect([hit.headers.get("x-cache"), await hit.text()]).to.deep.equal(["Hit from cloudfront", "two"]);

    const purged = await fetch(`${stack.apiUrl}/revoke/doc.txt?purge`, { method: "DELETE" });
    expect(purged.status).to.equal(200);
    expect(await purged.json()).to.deep.include({ key: "revoke/doc.txt", deletedVersions: 2 });

    // The versions are gone from storage and the edge's copies with them; the edge's origin
    // identity has no s3:ListBucket, so S3 (and this storage) answers a missing version with 403.
    const after = await Promise.all(
      [cached, shareLink, named, older].map(async (url) => {
        const res = await fetch(url);
        return [
          res.status,
          res.headers.get("x-cache"),
          (await res.text()).includes("<Code>AccessDenied</Code>"),
        ];
      }),
    );
    expect(after).to.deep.equal([
      [403, "Error from cloudfront", true],
      [403, "Error from cloudfront", true],
      [403, "Error from cloudfront", true],
      [403, "Error from cloudfront", true],
    ]);
    expect((await fetch(`${stack.apiUrl}/revoke/doc.txt`, { redirect: "manual" })).status).to.equal(404);
  });
});
