import { randomBytes } from "node:crypto";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import {
  type Algorithm,
  checksumOf,
  compositeOf,
  headerOf,
} from "../../../../local/storage/checksums/algorithms";
import { type StorageFixture, startStorageFixture, xmlText } from "../fixture";
import { multipart } from "./mp-helpers";

const MiB = 1024 * 1024;
const INVALID_PART =
  "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";

describe("local storage: CompleteMultipartUpload builds and checks the object's checksum", function () {
  this.timeout(120_000);
  let s: StorageFixture;
  let mp: ReturnType<typeof multipart>;
  before(async () => {
    s = await startStorageFixture();
    mp = multipart(s);
  });
  after(() => s.close());

  /** An upload of `bodies` as parts, each sent with its checksum when the upload has an algorithm. */
  async function uploaded(key: string, bodies: Buffer[], algorithm?: Algorithm, type?: string) {
    const created = await mp.create(key, {
      ...(algorithm ? { "x-amz-checksum-algorithm": algorithm } : {}),
      ...(type ? { "x-amz-checksum-type": type } : {}),
    });
    const parts = [];
    for (const [i, body] of bodies.entries()) {
      const checksum = algorithm ? checksumOf(algorithm, body) : undefined;
      const answer = await mp.part(
        key,
        created.uploadId,
        i + 1,
        body,
        checksum && algorithm ? { [headerOf(algorithm)]: checksum } : {},
      );
      expect(answer.status).to.equal(200);
      parts.push({ partNumber: i + 1, etag: answer.etag, checksum });
    }
    return { uploadId: created.uploadId, parts, whole: Buffer.concat(bodies) };
  }
  const head = async (key: string) => {
    const res = await fetch(
      await s.presign("HEAD", key, { signedHeaders: { "x-amz-checksum-mode": "ENABLED" } }),
      {
        method: "HEAD",
        headers: { "x-amz-checksum-mode": "ENABLED" },
      },
    );
    return Object.fromEntries([...res.headers].filter(([n]) => n.startsWith("x-amz-checksum-")));
  };

  it("FULL_OBJECT CRC64NVME: the parts' CRCs combined are the whole object's CRC; the whole-object header counts with x-amz-checksum-type", async () => {
    const key = "mpx/full.bin";
    const { uploadId, parts, whole } = await uploaded(
      key,
      [randomBytes(5 * MiB), randomBytes(5 * MiB + 7), randomBytes(1000)],
      "CRC64NVME",
    );
    const expected = checksumOf("CRC64NVME", whole);
    const named = parts.map((p) => ({ ...p, checksums: { ChecksumCRC64NVME: p.checksum ?? "" } }));
    const wrongPart = named.map((p, i) =>
      i === 1 ? { ...p, checksums: { ChecksumCRC64NVME: checksumOf("CRC64NVME", Buffer.from("x")) } } : p,
    );
    const header = { "x-amz-checksum-crc64nvme": expected };
    const wrongWhole = {
      "x-amz-checksum-crc64nvme": checksumOf("CRC64NVME", Buffer.from("x")),
      "x-amz-checksum-type": "FULL_OBJECT",
    };
    const badDigest = [
      400,
      "BadDigest",
      "The crc64nvme you specified did not match the calculated checksum.",
    ];
    expect(
      [
        await mp.complete(key, uploadId, wrongPart),
        await mp.complete(key, uploadId, named, wrongWhole),
        await mp.complete(key, uploadId, named, header),
        await mp.complete(key, uploadId, named, {
          "x-amz-checksum-crc64nvme": `${expected}-3`,
          "x-amz-checksum-type": "FULL_OBJECT",
        }),
        await mp.complete(key, uploadId, named, { "x-amz-checksum-type": "COMPOSITE" }),
      ].map((a) => [a.status, a.code, a.message]),
    ).to.deep.equal([
      [400, "InvalidPart", INVALID_PART],
      badDigest,
      badDigest,
      badDigest,
      [
        400,
        "InvalidRequest",
        "The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same checksum mode.",
      ],
    ]);
    const done = await mp.complete(key, uploadId, named, { ...header, "x-amz-checksum-type": "FULL_OBJECT" });
    expect([
      done.status,
      xmlText(done.text, "ChecksumCRC64NVME"),
      xmlText(done.text, "ChecksumType"),
    ]).to.deep.equal([200, expected, "FULL_OBJECT"]);
    expect(await head(key)).to.deep.equal({
      "x-amz-checksum-crc64nvme": expected,
      "x-amz-checksum-type": "FULL_OBJECT",
    });
  });

  it("FULL_OBJECT CRC32 and CRC32C, part checksums left out: combined from the parts, equal to the whole object's", async () => {
    for (const algorithm of ["CRC32", "CRC32C"] as const) {
      const key = `mpx/${algorithm}.bin`;
      const { uploadId, parts, whole } = await uploaded(
        key,
        [randomBytes(5 * MiB + 3), randomBytes(12_345)],
        algorithm,
        "FULL_OBJECT",
      );
      const done = await mp.complete(key, uploadId, parts);
      expect(
        [done.status, xmlText(done.text, `Checksum${algorithm}`), xmlText(done.text, "ChecksumType")],
        algorithm,
      ).to.deep.equal([200, checksumOf(algorithm, whole), "FULL_OBJECT"]);
    }
  });

  it("COMPOSITE SHA256: every part's checksum is required; the object's is the digest of the parts' digests, -N", async () => {
    const key = "mpx/composite.bin";
    const { uploadId, parts } = await uploaded(key, [randomBytes(5 * MiB), randomBytes(2000)], "SHA256");
    const named = parts.map((p) => ({ ...p, checksums: { ChecksumSHA256: p.checksum ?? "" } }));
    const composite = compositeOf(
      "SHA256",
      parts.map((p) => p.checksum ?? ""),
    );
    const [digest] = composite.split("-");
    expect(
      [
        // Part 2 named without its checksum.
        await mp.complete(
          key,
          uploadId,
          named.map((p, i) => (i === 1 ? { partNumber: p.partNumber, etag: p.etag } : p)),
        ),
        await mp.complete(
          key,
          uploadId,
          named.map((p, i) => (i === 0 ? { ...p, checksums: { ChecksumCRC32: "AAAAAA==" } } : p)),
        ),
        await mp.complete(
          key,
          uploadId,
          named.map((p, i) => (i === 0 ? { ...p, checksums: { ChecksumSHA256: "not base64!" } } : p)),
        ),
        await mp.complete(key, uploadId, named, { "x-amz-checksum-sha256": `${digest}-a` }),
        await mp.complete(key, uploadId, named, { "x-amz-checksum-sha256": `${digest}-3` }),
      ].map((a) => [a.status, a.code, a.message]),
    ).to.deep.equal([
      [
        400,
        "InvalidRequest",
        "The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 2 in the request.",
      ],
      [400, "BadDigest", "The sha256 you specified for part 1 did not match what we received."],
      [400, "InvalidArgument", "Invalid Base64 or multiple checksums present in request"],
      [400, "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid."],
      [400, "BadDigest", "The sha256 you specified did not match the calculated checksum."],
    ]);
    const done = await mp.complete(key, uploadId, named, { "x-amz-checksum-sha256": composite });
    expect([
      done.status,
      xmlText(done.text, "ChecksumSHA256"),
      xmlText(done.text, "ChecksumType"),
    ]).to.deep.equal([200, composite, "COMPOSITE"]);
    expect(await head(key)).to.deep.equal({
      "x-amz-checksum-sha256": composite,
      "x-amz-checksum-type": "COMPOSITE",
    });
  });

  it("an upload without an algorithm gets S3's default CRC64NVME FULL_OBJECT; part checksums or a type in its completion are refused", async () => {
    const key = "mpx/default.bin";
    const { uploadId, parts, whole } = await uploaded(key, [randomBytes(5 * MiB), randomBytes(3)]);
    const refused = [
      await mp.complete(
        key,
        uploadId,
        parts.map((p) => ({ ...p, checksums: { ChecksumCRC32: "AAAAAA==" } })),
      ),
      await mp.complete(key, uploadId, parts, { "x-amz-checksum-type": "FULL_OBJECT" }),
    ];
    expect(refused.map((a) => [a.status, a.code, a.message])).to.deep.equal([
      [400, "InvalidPart", INVALID_PART],
      [
        400,
        "InvalidRequest",
        "The upload was created using the null checksum mode. The complete request must use the same checksum mode.",
      ],
    ]);
    // A whole-object header on such an upload is ignored, as S3 ignores it.
    const done = await mp.complete(key, uploadId, parts, { "x-amz-checksum-crc32c": "AAAAAA==" });
    const expected = checksumOf("CRC64NVME", whole);
    expect([
      done.status,
      xmlText(done.text, "ChecksumCRC64NVME"),
      xmlText(done.text, "ChecksumType"),
    ]).to.deep.equal([200, expected, "FULL_OBJECT"]);
  });

  it("with a checksum algorithm, part numbers start at 1 and are consecutive: 400 InvalidPartOrder", async () => {
    const key = "mpx/gap.bin";
    const created = await mp.create(key, { "x-amz-checksum-algorithm": "CRC32" });
    const body = randomBytes(100);
    const checksum = checksumOf("CRC32", body);
    const part = await mp.part(key, created.uploadId, 2, body, { "x-amz-checksum-crc32": checksum });
    const answer = await mp.complete(key, created.uploadId, [
      { partNumber: 2, etag: part.etag, checksums: { ChecksumCRC32: checksum } },
    ]);
    expect([answer.status, answer.code]).to.deep.equal([400, "InvalidPartOrder"]);
  });

  it("completion reads no part's bytes again: the object's CRC comes from the parts' stored CRCs", async () => {
    const key = "mpx/no-reread.bin";
    const { uploadId, parts, whole } = await uploaded(
      key,
      [randomBytes(5 * MiB), randomBytes(1000)],
      "CRC64NVME",
    );
    // The parts' bytes on disk are zeroed behind the storage's back: a completion that read them
    // again would combine (or check) the zeros' CRC, never the one of the bytes that were sent.
    const partFiles = readdirSync(s.dataDir, { recursive: true, encoding: "utf8" }).filter(
      (file) => /(^|\/)p-\d+-[0-9a-f]{16}$/.test(file) && file.includes(uploadId),
    );
    expect(partFiles.length).to.equal(2);
    for (const file of partFiles) {
      const full = join(s.dataDir, file);
      writeFileSync(full, Buffer.alloc(statSync(full).size));
    }
    const done = await mp.complete(key, uploadId, parts);
    expect([
      done.status,
      xmlText(done.text, "ChecksumCRC64NVME"),
      xmlText(done.text, "ChecksumType"),
    ]).to.deep.equal([200, checksumOf("CRC64NVME", whole), "FULL_OBJECT"]);
    expect(checksumOf("CRC64NVME", Buffer.alloc(whole.length))).to.not.equal(checksumOf("CRC64NVME", whole));
  });
});
