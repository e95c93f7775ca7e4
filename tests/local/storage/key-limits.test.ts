import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { BUCKET, md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

/** A key of `bytes` bytes of UTF-8 ending in a two-byte "é", so that its characters are fewer than its bytes. */
const keyOf = (bytes: number) => `long/${"k".repeat(bytes - 7)}é`;

describe("local storage: keys over 1,024 bytes are refused on every operation, as S3 refuses them", () => {
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  const tooLong = keyOf(1025);
  const send = async (
    method: "GET" | "HEAD" | "PUT" | "DELETE" | "POST",
    key: string,
    init: RequestInit & { query?: Record<string, string>; signed?: Record<string, string> } = {},
  ) => {
    const url = await s.presign(method, key, {
      ...(init.query ? { query: init.query } : {}),
      ...(init.signed ? { signedHeaders: init.signed } : {}),
    });
    const res = await fetch(url, { method, ...init, ...(init.signed ? { headers: init.signed } : {}) });
    const text = await res.text();
    return [res.status, xmlText(text, "Code"), xmlText(text, "Size"), xmlText(text, "MaxSizeAllowed")];
  };
  const refused = [400, "KeyTooLongError", "1025", "1024"];

  it("a key of 1,024 bytes is stored; one of 1,025 bytes (1,024 characters) is 400 KeyTooLongError with its size and the limit", async () => {
    expect([Buffer.byteLength(keyOf(1024)), Buffer.byteLength(tooLong), tooLong.length]).to.deep.equal([
      1024, 1025, 1024,
    ]);
    expect((await send("PUT", keyOf(1024), { body: "fits" }))[0]).to.equal(200);
    expect(await send("PUT", tooLong, { body: "too long" })).to.deep.equal(refused);
    expect(await send("GET", tooLong)).to.deep.equal(refused);
    expect((await send("HEAD", tooLong))[0]).to.equal(400);
  });

  it("DELETE, DELETE of a version, multipart create, part, completion and abort of a long key are refused and store nothing", async () => {
    const versionId = "A".repeat(32);
    const uploadId = "B".repeat(32);
    const complete =
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>";
    for (const [name, answer] of [
      ["DELETE", await send("DELETE", tooLong)],
      ["DELETE ?versionId", await send("DELETE", tooLong, { query: { versionId } })],
      ["POST ?uploads", await send("POST", tooLong, { query: { uploads: "" } })],
      ["PUT part", await send("PUT", tooLong, { query: { uploadId, partNumber: "1" }, body: "part" })],
      ["POST complete", await send("POST", tooLong, { query: { uploadId }, body: complete })],
      ["DELETE upload", await send("DELETE", tooLong, { query: { uploadId } })],
    ] as const) {
      expect(answer, name).to.deep.equal(refused);
    }
    const versionsDir = join(s.dataDir, "versions", BUCKET);
    const multipartDir = join(s.dataDir, "multipart", BUCKET);
    // Only the 1,024-byte key of the first test has a directory; no upload was created.
    expect(readdirSync(versionsDir)).to.have.length(1);
    expect(existsSync(multipartDir) ? readdirSync(multipartDir) : []).to.deep.equal([]);
  });

  it("a copy to or from a long key is refused: the target as any write, the source named in x-amz-copy-source", async () => {
    await send("PUT", "short/source", { body: "source" });
    const toLong = { "x-amz-copy-source": `/${BUCKET}/short/source` };
    expect(await send("PUT", tooLong, { signed: toLong })).to.deep.equal(refused);
    const fromLong = { "x-amz-copy-source": `/${BUCKET}/${encodeURIComponent(tooLong)}` };
    expect(await send("PUT", "short/target", { signed: fromLong })).to.deep.equal(refused);
    expect((await send("GET", "short/target"))[0]).to.equal(404);
  });

  it("DeleteObjects answers a long key with its own KeyTooLongError and deletes the others", async () => {
    await send("PUT", "short/a", { body: "a" });
    const xml = `<Delete><Object><Key>${tooLong}</Key></Object><Object><Key>short/a</Key></Object></Delete>`;
    const headers = { "content-md5": Buffer.from(md5(xml), "hex").toString("base64") };
    const url = await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers });
    const res = await fetch(url, { method: "POST", headers, body: xml });
    const text = await res.text();
    expect([res.status, xmlText(text, "Code"), xmlText(text, "Message")]).to.deep.equal([
      200,
      "KeyTooLongError",
      "Your key is too long.",
    ]);
    expect([...text.matchAll(/<Error><Key>([^<]*)<\/Key>/g)].map((m) => m[1])).to.deep.equal([tooLong]);
    expect([...text.matchAll(/<Deleted><Key>([^<]*)<\/Key>/g)].map((m) => m[1])).to.deep.equal(["short/a"]);
    expect((await send("GET", "short/a"))[0]).to.equal(404);
  });
});
