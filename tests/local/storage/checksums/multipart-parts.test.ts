import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { checksumOf } from "../../../../local/storage/checksums/algorithms";
import { type StorageFixture, startStorageFixture, xmlText } from "../fixture";
import { multipart } from "./mp-helpers";

describe("local storage: multipart checksums, created and uploaded as S3 takes them", function () {
  this.timeout(60_000);
  let s: StorageFixture;
  let mp: ReturnType<typeof multipart>;
  before(async () => {
    s = await startStorageFixture();
    mp = multipart(s);
  });
  after(() => s.close());

  it("CreateMultipartUpload: the algorithm and its type, the default type, and S3's refusals", async () => {
    const cases: Array<[Record<string, string>, number, string | undefined, string | undefined]> = [
      [{}, 200, undefined, undefined],
      [{ "x-amz-checksum-algorithm": "CRC32" }, 200, "CRC32", "COMPOSITE"],
      [
        { "x-amz-checksum-algorithm": "CRC32C", "x-amz-checksum-type": "FULL_OBJECT" },
        200,
        "CRC32C",
        "FULL_OBJECT",
      ],
      [{ "x-amz-checksum-algorithm": "CRC64NVME" }, 200, "CRC64NVME", "FULL_OBJECT"],
      [{ "x-amz-checksum-algorithm": "SHA256" }, 200, "SHA256", "COMPOSITE"],
      [{ "x-amz-checksum-algorithm": "SHA1", "x-amz-checksum-type": "COMPOSITE" }, 200, "SHA1", "COMPOSITE"],
    ];
    for (const [headers, status, algorithm, type] of cases) {
      const created = await mp.create("mpc/a.bin", headers);
      expect(
        [
          created.status,
          created.headers.get("x-amz-checksum-algorithm") ?? undefined,
          created.headers.get("x-amz-checksum-type") ?? undefined,
        ],
        JSON.stringify(headers),
      ).to.deep.equal([status, algorithm, type]);
    }
    const refused: Array<[Record<string, string>, string]> = [
      [
        { "x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "FULL_OBJECT" },
        "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.",
      ],
      [
        { "x-amz-checksum-algorithm": "SHA1", "x-amz-checksum-type": "FULL_OBJECT" },
        "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.",
      ],
      [
        { "x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE" },
        "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
      ],
      [
        { "x-amz-checksum-type": "COMPOSITE" },
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
      ],
      [
        { "x-amz-checksum-algorithm": "MD4" },
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
      ],
      [
        { "x-amz-checksum-algorithm": "CRC32,CRC32C" },
        "Invalid types are specified in x-amz-checksum-algorithm header.",
      ],
      [
        { "x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "PARTIAL" },
        "Value for x-amz-checksum-type header is invalid.",
      ],
    ];
    for (const [headers, message] of refused) {
      const created = await mp.create("mpc/b.bin", headers);
      expect([created.status, created.code, created.message], JSON.stringify(headers)).to.deep.equal([
        400,
        "InvalidRequest",
        message,
      ]);
    }
  });

  it("a part of an upload with an algorithm needs that algorithm's checksum; a wrong one is BadDigest and no part is listed", async () => {
    const { uploadId } = await mp.create("mpc/sha.bin", { "x-amz-checksum-algorithm": "SHA256" });
    const body = randomBytes(70_000);
    const sha = checksumOf("SHA256", body);
    const mismatchType = (actual: string) =>
      `Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: ${actual}`;
    const none = await mp.part("mpc/sha.bin", uploadId, 1, body);
    const other = await mp.part("mpc/sha.bin", uploadId, 1, body, {
      "x-amz-checksum-crc32": checksumOf("CRC32", body),
    });
    const wrong = await mp.part("mpc/sha.bin", uploadId, 1, body, {
      "x-amz-checksum-sha256": checksumOf("SHA256", Buffer.from("x")),
    });
    expect([none, other, wrong].map((a) => [a.status, a.code, a.message])).to.deep.equal([
      [400, "InvalidRequest", mismatchType("null")],
      [400, "InvalidRequest", mismatchType("crc32")],
      [400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."],
    ]);
    expect((await mp.listParts("mpc/sha.bin", uploadId)).parts).to.deep.equal([]);
    const right = await mp.part("mpc/sha.bin", uploadId, 1, body, { "x-amz-checksum-sha256": sha });
    expect([right.status, right.headers.get("x-amz-checksum-sha256")]).to.deep.equal([200, sha]);
    const listed = await mp.listParts("mpc/sha.bin", uploadId);
    expect([
      listed.algorithm,
      listed.type,
      listed.parts.map((p) => xmlText(p, "ChecksumSHA256")),
    ]).to.deep.equal(["SHA256", "COMPOSITE", [sha]]);
  });

  it("an upload without an algorithm takes parts with any checksum (checked, echoed) and lists none", async () => {
    const { uploadId } = await mp.create("mpc/plain.bin");
    const body = randomBytes(10_000);
    const crc = checksumOf("CRC32C", body);
    const wrong = await mp.part("mpc/plain.bin", uploadId, 1, body, {
      "x-amz-checksum-crc32c": checksumOf("CRC32C", Buffer.from("y")),
    });
    expect([wrong.status, wrong.code]).to.deep.equal([400, "BadDigest"]);
    const right = await mp.part("mpc/plain.bin", uploadId, 1, body, { "x-amz-checksum-crc32c": crc });
    const bare = await mp.part("mpc/plain.bin", uploadId, 2, body);
    expect([
      right.status,
      right.headers.get("x-amz-checksum-crc32c"),
      bare.status,
      bare.headers.get("x-amz-checksum-crc32c"),
    ]).to.deep.equal([200, crc, 200, null]);
    const listed = await mp.listParts("mpc/plain.bin", uploadId);
    expect([
      listed.algorithm,
      listed.type,
      listed.parts.length,
      listed.parts.some((p) => p.includes("Checksum")),
    ]).to.deep.equal([undefined, undefined, 2, false]);
  });
});
