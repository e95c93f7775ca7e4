import { randomBytes } from "node:crypto";
import { ListObjectsV2Command, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { type Algorithm, checksumOf, headerOf } from "../../../../local/storage/checksums/algorithms";
import { BUCKET, md5, READER, type StorageFixture, startStorageFixture, xmlText } from "../fixture";

const ALGORITHMS: Algorithm[] = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];
const BODY = Buffer.from("the bytes S3 checks");

describe("local storage: object checksums as S3 checks them", function () {
  this.timeout(60_000);
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  const put = async (key: string, body: Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(await s.presign("PUT", key, { signedHeaders: headers }), {
      method: "PUT",
      headers,
      body,
    });
    const text = await res.text();
    return { res, code: xmlText(text, "Code"), message: xmlText(text, "Message") };
  };
  const read = async (method: "GET" | "HEAD", key: string, headers: Record<string, string> = {}) => {
    const res = await fetch(await s.presign(method, key, { signedHeaders: headers, as: READER }), {
      method,
      headers,
    });
    await res.arrayBuffer();
    return res;
  };
  const stored = async (key: string) => (await fetch(await s.presign("GET", key))).status;
  const reported = (res: Response) =>
    Object.fromEntries([...res.headers].filter(([name]) => name.startsWith("x-amz-checksum-")));

  for (const algorithm of ALGORITHMS) {
    it(`x-amz-checksum-${algorithm.toLowerCase()}: the right value is stored and returned; one byte off is 400 BadDigest and nothing is stored`, async () => {
      const key = `sum/${algorithm}.bin`;
      const header = headerOf(algorithm);
      const value = checksumOf(algorithm, BODY);
      const wrong = await put(key, Buffer.from("the bytes S3 checkz"), { [header]: value });
      expect([wrong.res.status, wrong.code, wrong.message]).to.deep.equal([
        400,
        "BadDigest",
        `The ${algorithm} you specified did not match the calculated checksum.`,
      ]);
      expect(await stored(key)).to.equal(404);
      const right = await put(key, BODY, { [header]: value });
      expect([right.res.status, reported(right.res)]).to.deep.equal([
        200,
        { [header]: value, "x-amz-checksum-type": "FULL_OBJECT" },
      ]);
      for (const method of ["GET", "HEAD"] as const) {
        const res = await read(method, key, { "x-amz-checksum-mode": "ENABLED" });
        expect([res.status, reported(res)], method).to.deep.equal([
          200,
          { [header]: value, "x-amz-checksum-type": "FULL_OBJECT" },
        ]);
      }
    });
  }

  it("an object written without a checksum gets S3's default, CRC64NVME FULL_OBJECT; without the mode, none is reported", async () => {
    const body = randomBytes(100_000);
    const created = await put("sum/default.bin", body);
    const expected = {
      "x-amz-checksum-crc64nvme": checksumOf("CRC64NVME", body),
      "x-amz-checksum-type": "FULL_OBJECT",
    };
    expect(reported(created.res)).to.deep.equal(expected);
    expect(
      reported(await read("GET", "sum/default.bin", { "x-amz-checksum-mode": "enabled" })),
    ).to.deep.equal(expected);
    expect(reported(await read("GET", "sum/default.bin"))).to.deep.equal({});
    expect(reported(await read("HEAD", "sum/default.bin"))).to.deep.equal({});
  });

  it("the checksum is returned for the whole object only: a range that covers it, never part of it", async () => {
    await put("sum/range.bin", BODY);
    const mode = { "x-amz-checksum-mode": "ENABLED" };
    const whole = await read("GET", "sum/range.bin", { ...mode, range: `bytes=0-${BODY.length - 1}` });
    const part = await read("GET", "sum/range.bin", { ...mode, range: "bytes=1-4" });
    const partHead = await read("HEAD", "sum/range.bin", { ...mode, range: "bytes=0-3" });
    expect([whole.status, Object.keys(reported(whole))]).to.deep.equal([
      206,
      ["x-amz-checksum-crc64nvme", "x-amz-checksum-type"],
    ]);
    expect([part.status, reported(part), partHead.status, reported(partHead)]).to.deep.equal([
      206,
      {},
      206,
      {},
    ]);
    const bad = await read("GET", "sum/range.bin", { "x-amz-checksum-mode": "YES" });
    expect([bad.status]).to.deep.equal([400]);
    const badText = await (
      await fetch(
        await s.presign("GET", "sum/range.bin", { signedHeaders: { "x-amz-checksum-mode": "YES" } }),
        {
          headers: { "x-amz-checksum-mode": "YES" },
        },
      )
    ).text();
    expect([xmlText(badText, "Code"), xmlText(badText, "Message")]).to.deep.equal([
      "InvalidRequest",
      "Value for x-amz-checksum-mode header is invalid.",
    ]);
  });

  it("malformed values, two checksum headers and a contradicting x-amz-sdk-checksum-algorithm are 400 InvalidRequest with S3's messages", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ "x-amz-checksum-crc32": "y/Q5Jh==" }, "Value for x-amz-checksum-crc32 header is invalid."],
      [
        { "x-amz-checksum-crc64nvme": "rosUhgp5mIh=" },
        "Value for x-amz-checksum-crc64nvme header is invalid.",
      ],
      [{ "x-amz-checksum-sha256": "short===" }, "Value for x-amz-checksum-sha256 header is invalid."],
      [
        {
          "x-amz-checksum-crc32": checksumOf("CRC32", BODY),
          "x-amz-checksum-sha1": checksumOf("SHA1", BODY),
        },
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
      ],
      [
        { "x-amz-checksum-crc32": checksumOf("CRC32", BODY), "x-amz-sdk-checksum-algorithm": "SHA256" },
        "Value for x-amz-sdk-checksum-algorithm header is invalid.",
      ],
    ];
    for (const [headers, message] of cases) {
      const answer = await put("sum/malformed.bin", BODY, headers);
      expect([answer.res.status, answer.code, answer.message], JSON.stringify(headers)).to.deep.equal([
        400,
        "InvalidRequest",
        message,
      ]);
    }
    expect(await stored("sum/malformed.bin")).to.equal(404);
  });

  it("Content-MD5 keeps working next to a checksum: a wrong one is BadDigest, a right one stores the object", async () => {
    const goodMd5 = Buffer.from(md5(BODY), "hex").toString("base64");
    const crc = { "x-amz-checksum-crc32c": checksumOf("CRC32C", BODY) };
    const wrong = await put("sum/md5.bin", BODY, {
      ...crc,
      "content-md5": Buffer.from(md5("x"), "hex").toString("base64"),
    });
    expect([wrong.res.status, wrong.code, wrong.message]).to.deep.equal([
      400,
      "BadDigest",
      "The Content-MD5 you specified did not match what we received.",
    ]);
    const right = await put("sum/md5.bin", BODY, { ...crc, "content-md5": goodMd5 });
    expect([right.res.status, right.res.headers.get("etag")]).to.deep.equal([200, `"${md5(BODY)}"`]);
  });

  it("ListObjectsV2 and ListObjectVersions show each version's ChecksumAlgorithm and ChecksumType", async () => {
    await put("listed/a", BODY, { "x-amz-checksum-sha1": checksumOf("SHA1", BODY) });
    await put("listed/a", BODY);
    const client = s.client();
    const objects = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "listed/" }));
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: "listed/" }));
    expect(objects.Contents?.map((c) => [c.Key, c.ChecksumAlgorithm, c.ChecksumType])).to.deep.equal([
      ["listed/a", ["CRC64NVME"], "FULL_OBJECT"],
    ]);
    expect(versions.Versions?.map((v) => [v.ChecksumAlgorithm, v.ChecksumType])).to.deep.equal([
      [["CRC64NVME"], "FULL_OBJECT"],
      [["SHA1"], "FULL_OBJECT"],
    ]);
  });

  it("a checksum header that is not signed is refused as any unsigned x-amz-* header: 403 AccessDenied", async () => {
    const res = await fetch(await s.presign("PUT", "sum/unsigned.bin"), {
      method: "PUT",
      headers: { "x-amz-checksum-sha256": checksumOf("SHA256", BODY) },
      body: BODY,
    });
    const text = await res.text();
    expect([res.status, xmlText(text, "Code"), xmlText(text, "HeadersNotSigned")]).to.deep.equal([
      403,
      "AccessDenied",
      "x-amz-checksum-sha256",
    ]);
  });
});
