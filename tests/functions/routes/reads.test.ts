import { expect } from "chai";
import { ServiceUnavailable } from "../../../functions/api/http-error";
import type { FunctionUrlResult } from "../../../functions/http/function-url";
import type { ObjectInfo } from "../../../functions/s3/objects";
import { verifySignedUrl } from "../../../local/edge/cloudfront-verify";
import { parseQuery } from "../../../local/sigv4";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, harness, NOW, NOW_S } from "../../support/handler-harness";
import { ecdsaKey, rsaKey } from "../../support/keys";
import { MemoryObjects } from "../../support/objects";

const CDN = "https://d111111abcdef8.cloudfront.net";
const KEYS = new Map([["K2JCJMDEHXQW5F", ecdsaKey.publicKey]]);

const v1: ObjectInfo = {
  key: "docs/v.txt",
  size: 3,
  etag: '"0cc175b9c0f1b6a831c399e269772661"',
  versionId: "v1.AAAA",
  contentType: "text/plain",
  lastModified: "2026-11-22T09:00:00.000Z",
  // CRC64NVME of "abc".
  checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "BeXKuz/B+us=" },
};
const v2: ObjectInfo = {
  ...v1,
  size: 4,
  etag: '"92eb5ffee6ae2fec3ad71c777531578f"',
  versionId: "v2.BBBB",
  lastModified: "2026-11-22T09:30:00.000Z",
  checksum: {
    algorithm: "SHA256",
    type: "COMPOSITE",
    value: "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3",
  },
};

function setup(objects = new MemoryObjects(), config = baseConfig(), at = NOW) {
  return harness(config, ecdsaKey, { objects, clock: () => at });
}

async function get(
  handle: (e: ReturnType<typeof functionUrlEvent>) => Promise<FunctionUrlResult>,
  path: string,
  query = "",
  headers: Record<string, string> = {},
  method = "GET",
) {
  return handle(functionUrlEvent(method, path, { rawQueryString: query, headers }));
}

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

describe("reads: version-pinned URLs", () => {
  it("an overwrite is seen by the very next read; the URL issued before still names the old version", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const { handle } = setup(objects);
    const before = (await get(handle, "/docs/v.txt")).headers?.location ?? "";
    objects.put(v2);
    const after = (await get(handle, "/docs/v.txt")).headers?.location ?? "";
    expect(
      before.startsWith(`${CDN}/docs/v.txt?versionId=v1.AAAA&Expires=${NOW_S + 300}&Signature=`),
    ).to.equal(true);
    expect(
      after.startsWith(`${CDN}/docs/v.txt?versionId=v2.BBBB&Expires=${NOW_S + 300}&Signature=`),
    ).to.equal(true);
    // Both stay valid until they expire: the old one is still a URL for the old bytes.
    expect(verifySignedUrl(new URL(before), KEYS, NOW_S + 299, "198.51.100.7")).to.deep.equal({
      ok: true,
      keyPairId: "K2JCJMDEHXQW5F",
    });
    expect(objects.calls).to.deep.equal([{ key: "docs/v.txt" }, { key: "docs/v.txt" }]);
  });

  it("a deleted or missing key is 404 NoSuchKey from the function, with no redirect", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    objects.delete("docs/v.txt");
    const { handle } = setup(objects);
    for (const path of ["/docs/v.txt", "/docs/never.txt"]) {
      for (const method of ["GET", "HEAD"]) {
        const result = await get(handle, path, "", {}, method);
        expect(result).to.deep.equal({
          statusCode: 404,
          headers: { "content-type": "application/json", "cache-control": "no-store" },
          body: errorBody("NoSuchKey", `no object at ${path.slice(1)}`),
        });
      }
    }
  });

  it("?versionId reads that version; an unknown one is 404 NoSuchVersion", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    objects.put(v2);
    const { handle } = setup(objects);
    const old = (await get(handle, "/docs/v.txt", "versionId=v1.AAAA")).headers?.location ?? "";
    expect(old.startsWith(`${CDN}/docs/v.txt?versionId=v1.AAAA&Expires=`)).to.equal(true);
    const missing = await get(handle, "/docs/v.txt", "versionId=nope");
    expect(missing.statusCode).to.equal(404);
    expect(missing.body).to.equal(
      errorBody("NoSuchVersion", "no version nope of docs/v.txt to read (or it is a delete marker)"),
    );
    expect(objects.calls).to.deep.equal([
      { key: "docs/v.txt", versionId: "v1.AAAA" },
      { key: "docs/v.txt", versionId: "nope" },
    ]);
  });

  it("a bucket without versions pins the ETag instead", async () => {
    const objects = new MemoryObjects();
    const { versionId: _, ...unversioned } = v1;
    objects.put(unversioned);
    const { handle } = setup(objects);
    const location = (await get(handle, "/docs/v.txt")).headers?.location ?? "";
    expect(
      location.startsWith(`${CDN}/docs/v.txt?etag=0cc175b9c0f1b6a831c399e269772661&Expires=${NOW_S + 300}&`),
    ).to.equal(true);
  });

  it("JSON mode carries the object's metadata, in a fixed order", async () => {
    const objects = new MemoryObjects();
    objects.put({ ...v2, contentDisposition: 'attachment; filename="v.txt"' });
    const { handle } = setup(objects);
    const result = await get(handle, "/docs/v.txt", "", { accept: "application/json" });
    expect(result.headers).to.deep.equal({ "content-type": "application/json", "cache-control": "no-store" });
    const body = JSON.parse(result.body ?? "");
    expect(body.expiresAt).to.equal("2026-11-22T10:05:00.000Z");
    expect(JSON.stringify(body.object)).to.equal(
      JSON.stringify({
        key: "docs/v.txt",
        size: 4,
        etag: '"92eb5ffee6ae2fec3ad71c777531578f"',
        versionId: "v2.BBBB",
        contentType: "text/plain",
        lastModified: "2026-11-22T09:30:00.000Z",
        contentDisposition: 'attachment; filename="v.txt"',
        checksum: {
          algorithm: "SHA256",
          type: "COMPOSITE",
          value: "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3",
        },
      }),
    );
  });

  it("HEAD with Accept: application/json answers 200 with the metadata and no redirect", async () => {
    const objects = new MemoryObjects();
    objects.put({
      ...v1,
      key: "docs/Zürich v.txt",
      contentDisposition: "inline; filename*=UTF-8''Z%C3%BCrich",
    });
    const { handle } = setup(objects);
    const result = await get(handle, "/docs/Z%C3%BCrich%20v.txt", "", { accept: "application/json" }, "HEAD");
    expect(result.statusCode).to.equal(200);
    expect(result.headers).to.deep.equal({
      "content-type": "application/json",
      "cache-control": "no-store",
      "object-key": "docs%2FZ%C3%BCrich%20v.txt",
      "object-size": "3",
      "object-etag": '"0cc175b9c0f1b6a831c399e269772661"',
      "object-version-id": "v1.AAAA",
      "object-content-type": "text/plain",
      "object-last-modified": "Sun, 22 Nov 2026 09:00:00 GMT",
      "object-content-disposition": "inline%3B%20filename*%3DUTF-8''Z%25C3%25BCrich",
      "object-checksum-algorithm": "CRC64NVME",
      "object-checksum-type": "FULL_OBJECT",
      "object-checksum": "BeXKuz/B+us=",
    });
    expect(JSON.parse(result.body ?? "")).to.deep.equal({
      ...v1,
      key: "docs/Zürich v.txt",
      contentDisposition: "inline; filename*=UTF-8''Z%C3%BCrich",
    });
  });
});

describe("reads: share links and download names", () => {
  it("?expires asks for a longer URL, up to maxReadExpirySeconds", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const { handle } = setup(objects);
    const result = await get(handle, "/docs/v.txt", "expires=86400");
    const location = result.headers?.location ?? "";
    // A day is aligned to hour windows; 10:00:00 + 24 h is already on one.
    expect(new URL(location).searchParams.get("Expires")).to.equal(String(NOW_S + 86_400));
    expect(result.headers?.["cache-control"]).to.equal("private, max-age=86340");
  });

  const refused: Array<[string, string]> = [
    ["expires=86401", '"86401"'],
    ["expires=0", '"0"'],
    ["expires=1.5", '"1.5"'],
    ["expires=abc", '"abc"'],
    ["expires=", '""'],
  ];
  for (const [query, shown] of refused) {
    it(`?${query} is 400 InvalidExpires naming the limit, before any lookup`, async () => {
      const objects = new MemoryObjects();
      objects.put(v1);
      const { handle } = setup(objects);
      const result = await get(handle, "/docs/v.txt", query);
      expect(result.statusCode).to.equal(400);
      expect(result.body).to.equal(
        errorBody(
          "InvalidExpires",
          `expires must be a whole number of seconds from 1 to 86400 (this store's maxReadExpirySeconds), got ${shown}`,
        ),
      );
      expect(objects.calls).to.deep.equal([]);
    });
  }

  it("?download=NAME signs response-content-disposition as an RFC 8187 attachment", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const { handle } = setup(objects);
    const result = await get(handle, "/docs/v.txt", `download=${encodeURIComponent("Résumé (final)'s.txt")}`);
    const location = result.headers?.location ?? "";
    const resource =
      `${CDN}/docs/v.txt?versionId=v1.AAAA&response-content-disposition=` +
      "attachment%3B%20filename%2A%3DUTF-8%27%27R%25C3%25A9sum%25C3%25A9%2520%2528final%2529%2527s.txt";
    expect(location.startsWith(`${resource}&Expires=${NOW_S + 300}&Signature=`)).to.equal(true);
    expect(new URL(location).searchParams.get("response-content-disposition")).to.equal(
      "attachment; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29%27s.txt",
    );
    expect(verifySignedUrl(new URL(location), KEYS, NOW_S, "198.51.100.7").ok).to.equal(true);
  });

  const badNames = ["a/b.txt", "..", "a\\b", "bad\u0007name", "x".repeat(256)];
  for (const name of badNames) {
    it(`?download=${JSON.stringify(name.slice(0, 12))} is 400 InvalidDownloadName`, async () => {
      const { handle } = setup();
      const result = await get(handle, "/docs/v.txt", `download=${encodeURIComponent(name)}`);
      expect(result.statusCode).to.equal(400);
      expect(JSON.parse(result.body ?? "").error.code).to.equal("InvalidDownloadName");
    });
  }
});

describe("reads: redirects browsers can cache", () => {
  it("reads of one version within one window get the same URL; the next window a new one", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    let now = at(0);
    const { handle } = harness(baseConfig(), ecdsaKey, { objects, clock: () => now });
    const urls: string[] = [];
    const cacheControl: string[] = [];
    for (const offset of [1, 30, 59, 61]) {
      now = at(offset);
      const result = await get(handle, "/docs/v.txt");
      urls.push(result.headers?.location ?? "");
      cacheControl.push(result.headers?.["cache-control"] ?? "");
    }
    // 300 s URLs end on a whole minute at least 300 s away: 10:06:00 for reads at 10:00:01..10:01:00
    // (valid 359..300 s more), 10:07:00 from 10:01:01. A browser reuses each for all but a tenth.
    expect(urls.map((u) => new URL(u).searchParams.get("Expires"))).to.deep.equal([
      String(NOW_S + 360),
      String(NOW_S + 360),
      String(NOW_S + 360),
      String(NOW_S + 420),
    ]);
    expect(urls[0]).to.equal(urls[1]);
    expect(urls[1]).to.equal(urls[2]);
    expect(urls[3]).not.to.equal(urls[2]);
    expect(cacheControl).to.deep.equal([
      "private, max-age=323",
      "private, max-age=297",
      "private, max-age=270",
      "private, max-age=323",
    ]);
  });

  it("writes, deletes, multipart calls and errors stay no-store", async () => {
    const { handle } = setup();
    for (const [method, query] of [
      ["PUT", ""],
      ["DELETE", ""],
    ]) {
      const result = await get(handle, "/docs/v.txt", query, {}, method);
      expect(result.statusCode).to.equal(307);
      expect(result.headers?.["cache-control"]).to.equal("no-store");
    }
    expect((await get(handle, "/docs/v.txt")).headers?.["cache-control"]).to.equal("no-store");
  });

  it("with RSA the URL is the same from every instance, since the signature is deterministic", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const one = harness(baseConfig(), rsaKey, { objects });
    const two = harness(baseConfig(), rsaKey, { objects });
    const a = (await get(one.handle, "/docs/v.txt")).headers?.location;
    const b = (await get(two.handle, "/docs/v.txt")).headers?.location;
    expect(a).to.equal(b);
  });
});

describe("reads: expiry that holds", () => {
  it("write URLs live at most maxWriteExpirySeconds, reads keep the configured expiry", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const config = baseConfig({ expirySeconds: 7_200, maxWriteExpirySeconds: 900 });
    const { handle } = setup(objects, config);
    const put = await get(handle, "/docs/v.txt", "", { accept: "application/json" }, "PUT");
    const body = JSON.parse(put.body ?? "");
    expect(Object.fromEntries(parseQuery(new URL(body.url).search.slice(1)))["X-Amz-Expires"]).to.equal(
      "900",
    );
    expect(body.expiresAt).to.equal("2026-11-22T10:15:00.000Z");
    const read = JSON.parse(
      (await get(handle, "/docs/v.txt", "", { accept: "application/json" })).body ?? "",
    );
    expect(read.expiresAt).to.equal("2026-11-22T12:00:00.000Z");
  });
});

describe("reads: the object store is down", () => {
  it("answers 503 with Retry-After and logs the detail, never the URL", async () => {
    const down = {
      head: async () => {
        throw new ServiceUnavailable(
          "the object store could not be reached; try again shortly",
          1,
          new Error("ECONNREFUSED"),
        );
      },
    };
    const { handle, lines } = harness(baseConfig(), ecdsaKey, { objects: down });
    const result = await get(handle, "/docs/v.txt");
    expect(result).to.deep.equal({
      statusCode: 503,
      headers: { "content-type": "application/json", "cache-control": "no-store", "retry-after": "1" },
      body: errorBody("ServiceUnavailable", "the object store could not be reached; try again shortly"),
    });
    expect(lines[0]).to.deep.include({
      level: "warn",
      message: "dependency unavailable",
      code: "ServiceUnavailable",
    });
    expect(lines[0]?.errorMessage).to.equal("ECONNREFUSED");
  });
});

describe("reads: a rotating key's retirement", () => {
  const signerRetiringAt = (retiresAt: number) => (config: ReturnType<typeof baseConfig>) => ({
    keyPairId: config.keyPairId,
    privateKey: ecdsaKey.privateKey,
    retiresAt,
  });

  it("caps a URL's expiry at the instant its key may leave the key group, and signs that expiry", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const config = baseConfig();
    const retiresAt = NOW_S + 200;
    const { handle } = harness(config, ecdsaKey, {
      objects,
      signingKey: async () => signerRetiringAt(retiresAt)(config),
    });
    const res = await get(handle, "/docs/v.txt", "", { accept: "application/json" });
    expect(res.statusCode).to.equal(200);
    const body = JSON.parse(res.body ?? "{}") as { url: string; expiresAt: string };
    expect(body.expiresAt).to.equal(new Date(retiresAt * 1000).toISOString());
    const url = new URL(body.url);
    expect(url.searchParams.get("Expires")).to.equal(String(retiresAt));
    expect(verifySignedUrl(url, KEYS, NOW_S, "203.0.113.9")).to.deep.include({ ok: true });
    // A key further from retirement leaves the window's expiry as it was.
    const later = harness(config, ecdsaKey, {
      objects,
      signingKey: async () => signerRetiringAt(NOW_S + 30 * 86_400)(config),
    });
    const uncapped = JSON.parse(
      (await get(later.handle, "/docs/v.txt", "", { accept: "application/json" })).body ?? "{}",
    );
    expect(Date.parse(uncapped.expiresAt) / 1000).to.be.greaterThan(NOW_S + config.expirySeconds - 1);
  });

  it("answers 503 SigningKeyRetiring rather than hand out a URL of less than a minute", async () => {
    const objects = new MemoryObjects();
    objects.put(v1);
    const config = baseConfig();
    const { handle, lines } = harness(config, ecdsaKey, {
      objects,
      signingKey: async () => signerRetiringAt(NOW_S + 59)(config),
    });
    const res = await get(handle, "/docs/v.txt");
    expect(res.statusCode).to.equal(503);
    expect(res.headers?.["retry-after"]).to.equal("300");
    expect(res.body).to.equal(
      errorBody(
        "SigningKeyRetiring",
        "this store's signing key is due to leave its key group: the stack needs a deploy (pulumi up) to rotate to a newer key",
      ),
    );
    expect(lines.some((l) => l.code === "SigningKeyRetiring")).to.equal(true);
  });
});
