import { randomBytes } from "node:crypto";
import { GetObjectAttributesCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { checksumOf, compositeOf } from "../../../../local/storage/checksums/algorithms";
import { BUCKET, md5, READER, type StorageFixture, startStorageFixture, xmlText } from "../fixture";
import { multipart } from "./mp-helpers";

const MiB = 1024 * 1024;

describe("local storage: GetObjectAttributes, copies and DeleteObjects with checksums", function () {
  this.timeout(60_000);
  let s: StorageFixture;
  let mp: ReturnType<typeof multipart>;
  before(async () => {
    s = await startStorageFixture();
    mp = multipart(s);
  });
  after(() => s.close());

  const attributes = (
    key: string,
    asked: string,
    extra: Record<string, string> = {},
    query: Record<string, string> = {},
  ) => mp.send("GET", key, { attributes: "", ...query }, { "x-amz-object-attributes": asked, ...extra });

  it("GetObjectAttributes of a PutObject object: the attributes asked for and no others", async () => {
    const body = randomBytes(4321);
    const first = await mp.send(
      "PUT",
      "attr/one.bin",
      {},
      { "x-amz-checksum-sha1": checksumOf("SHA1", body) },
      body,
    );
    await mp.send("PUT", "attr/one.bin", {}, {}, Buffer.from("second"));
    const all = await attributes(
      "attr/one.bin",
      "ETag,Checksum,ObjectParts,StorageClass,ObjectSize",
      {},
      {
        versionId: first.headers.get("x-amz-version-id") ?? "",
      },
    );
    expect([all.status, all.headers.get("x-amz-version-id")]).to.deep.equal([
      200,
      first.headers.get("x-amz-version-id"),
    ]);
    expect(all.text.slice(all.text.indexOf("<GetObjectAttributesResponse"))).to.equal(
      `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>${md5(body)}</ETag><Checksum><ChecksumSHA1>${checksumOf("SHA1", body)}</ChecksumSHA1><ChecksumType>FULL_OBJECT</ChecksumType></Checksum><StorageClass>STANDARD</StorageClass><ObjectSize>4321</ObjectSize></GetObjectAttributesResponse>`,
    );
    const size = await attributes("attr/one.bin", "ObjectSize");
    expect(size.text.slice(size.text.indexOf("<GetObjectAttributesResponse"))).to.equal(
      `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectSize>6</ObjectSize></GetObjectAttributesResponse>`,
    );
    const refused = [await attributes("attr/one.bin", ""), await attributes("attr/one.bin", "ETag,Colour")];
    expect(refused.map((a) => [a.status, a.code, a.message])).to.deep.equal([
      [
        400,
        "InvalidArgument",
        "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
      ],
      [400, "InvalidArgument", "Invalid attribute name specified."],
    ]);
    const asReader = await fetch(
      await s.presign("GET", "attr/one.bin", {
        query: { attributes: "" },
        signedHeaders: { "x-amz-object-attributes": "ETag" },
        as: READER,
      }),
      { headers: { "x-amz-object-attributes": "ETag" } },
    );
    expect(asReader.status).to.equal(403);
    const out = await s.client().send(
      new GetObjectAttributesCommand({
        Bucket: BUCKET,
        Key: "attr/one.bin",
        ObjectAttributes: ["Checksum", "ObjectSize"],
      }),
    );
    expect([out.ObjectSize, out.Checksum?.ChecksumCRC64NVME, out.Checksum?.ChecksumType]).to.deep.equal([
      6,
      checksumOf("CRC64NVME", Buffer.from("second")),
      "FULL_OBJECT",
    ]);
  });

  it("a COMPOSITE multipart object lists its parts' sizes and checksums, paged; its checksum shows without -N", async () => {
    const key = "attr/composite.bin";
    const created = await mp.create(key, { "x-amz-checksum-algorithm": "SHA256" });
    const bodies = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(77)];
    const parts = [];
    for (const [i, body] of bodies.entries()) {
      const checksum = checksumOf("SHA256", body);
      const part = await mp.part(key, created.uploadId, i + 1, body, { "x-amz-checksum-sha256": checksum });
      parts.push({ partNumber: i + 1, etag: part.etag, checksums: { ChecksumSHA256: checksum } });
    }
    expect((await mp.complete(key, created.uploadId, parts)).status).to.equal(200);
    const composite = compositeOf(
      "SHA256",
      parts.map((p) => p.checksums.ChecksumSHA256),
    );
    const page = await attributes(key, "Checksum,ObjectParts", {
      "x-amz-max-parts": "2",
      "x-amz-part-number-marker": "1",
    });
    expect(page.text.slice(page.text.indexOf("<GetObjectAttributesResponse"))).to.equal(
      `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Checksum><ChecksumSHA256>${composite.split("-")[0]}</ChecksumSHA256><ChecksumType>COMPOSITE</ChecksumType></Checksum><ObjectParts><PartsCount>3</PartsCount><PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>false</IsTruncated>${parts
        .slice(1)
        .map(
          (p, i) =>
            `<Part><PartNumber>${p.partNumber}</PartNumber><Size>${bodies[i + 1]?.length}</Size><ChecksumSHA256>${p.checksums.ChecksumSHA256}</ChecksumSHA256></Part>`,
        )
        .join("")}</ObjectParts></GetObjectAttributesResponse>`,
    );
    const first = await attributes(key, "ObjectParts", { "x-amz-max-parts": "1" });
    expect([xmlText(first.text, "IsTruncated"), xmlText(first.text, "NextPartNumberMarker")]).to.deep.equal([
      "true",
      "1",
    ]);
    // A FULL_OBJECT multipart object shows only its part count.
    const plain = await mp.create("attr/full.bin");
    const one = await mp.part("attr/full.bin", plain.uploadId, 1, randomBytes(10));
    await mp.complete("attr/full.bin", plain.uploadId, [{ partNumber: 1, etag: one.etag }]);
    const full = await attributes("attr/full.bin", "ObjectParts");
    expect(xmlText(full.text, "ObjectParts")).to.equal("<PartsCount>1</PartsCount>");
  });

  it("CopyObject keeps a FULL_OBJECT checksum, computes the one asked for, and makes a COMPOSITE source's FULL_OBJECT", async () => {
    const body = randomBytes(3000);
    await mp.send("PUT", "copy/src", {}, { "x-amz-checksum-sha1": checksumOf("SHA1", body) }, body);
    const copy = (target: string, source: string, headers: Record<string, string> = {}) =>
      mp.send("PUT", target, {}, { "x-amz-copy-source": `/${BUCKET}/${source}`, ...headers });
    const kept = await copy("copy/kept", "copy/src");
    const asked = await copy("copy/crc", "copy/src", { "x-amz-checksum-algorithm": "CRC32" });
    const bad = await copy("copy/bad", "copy/src", { "x-amz-checksum-algorithm": "MD4" });
    expect([
      [kept.status, xmlText(kept.text, "ChecksumSHA1"), xmlText(kept.text, "ChecksumType")],
      [asked.status, xmlText(asked.text, "ChecksumCRC32"), xmlText(asked.text, "ChecksumType")],
      [bad.status, bad.code],
    ]).to.deep.equal([
      [200, checksumOf("SHA1", body), "FULL_OBJECT"],
      [200, checksumOf("CRC32", body), "FULL_OBJECT"],
      [400, "InvalidRequest"],
    ]);
    const created = await mp.create("copy/mp", { "x-amz-checksum-algorithm": "SHA256" });
    const parts = [randomBytes(5 * MiB), randomBytes(99)];
    const named = [];
    for (const [i, part] of parts.entries()) {
      const sum = checksumOf("SHA256", part);
      const answer = await mp.part("copy/mp", created.uploadId, i + 1, part, {
        "x-amz-checksum-sha256": sum,
      });
      named.push({ partNumber: i + 1, etag: answer.etag, checksums: { ChecksumSHA256: sum } });
    }
    await mp.complete("copy/mp", created.uploadId, named);
    const flat = await copy("copy/flat", "copy/mp");
    expect([xmlText(flat.text, "ChecksumSHA256"), xmlText(flat.text, "ChecksumType")]).to.deep.equal([
      checksumOf("SHA256", Buffer.concat(parts)),
      "FULL_OBJECT",
    ]);
  });

  it("UploadPartCopy gives the part the upload's checksum, computed from the copied range", async () => {
    const body = randomBytes(6 * MiB);
    await mp.send("PUT", "upc/src", {}, {}, body);
    const created = await mp.create("upc/dst", {
      "x-amz-checksum-algorithm": "CRC32C",
      "x-amz-checksum-type": "FULL_OBJECT",
    });
    const ranges = [
      [0, 5 * MiB - 1],
      [5 * MiB, 6 * MiB - 1],
    ] as const;
    const parts = [];
    for (const [i, [first, last]] of ranges.entries()) {
      const answer = await mp.send(
        "PUT",
        "upc/dst",
        { uploadId: created.uploadId, partNumber: String(i + 1) },
        {
          "x-amz-copy-source": `/${BUCKET}/upc/src`,
          "x-amz-copy-source-range": `bytes=${first}-${last}`,
        },
      );
      const sum = checksumOf("CRC32C", body.subarray(first, last + 1));
      expect([answer.status, xmlText(answer.text, "ChecksumCRC32C")]).to.deep.equal([200, sum]);
      parts.push({
        partNumber: i + 1,
        etag: (xmlText(answer.text, "ETag") ?? "").replace(/&quot;/g, '"'),
        checksums: { ChecksumCRC32C: sum },
      });
    }
    const done = await mp.complete("upc/dst", created.uploadId, parts);
    expect([done.status, xmlText(done.text, "ChecksumCRC32C")]).to.deep.equal([
      200,
      checksumOf("CRC32C", body),
    ]);
  });

  it("DeleteObjects checks a CRC64NVME as any other checksum, and refuses a malformed one", async () => {
    const xml = "<Delete><Object><Key>gone/x</Key></Object></Delete>";
    const answers = [];
    for (const value of [
      checksumOf("CRC64NVME", Buffer.from("other")),
      "AAAA",
      checksumOf("CRC64NVME", Buffer.from(xml)),
    ]) {
      const headers = { "x-amz-checksum-crc64nvme": value };
      const res = await fetch(
        await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers }),
        { method: "POST", headers, body: xml },
      );
      const text = await res.text();
      answers.push([res.status, xmlText(text, "Code") ?? null, xmlText(text, "Message") ?? null]);
    }
    expect(answers).to.deep.equal([
      [400, "BadDigest", "The CRC64NVME you specified did not match the calculated checksum."],
      [400, "InvalidRequest", "Value for x-amz-checksum-crc64nvme header is invalid."],
      [200, null, null],
    ]);
  });
});
