import { createHash, randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { BUCKET, md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

const MiB = 1024 * 1024;

describe("local storage: the S3 operations the function calls", function () {
  this.timeout(120_000);
  let s: StorageFixture;
  let client: S3Client;
  before(async () => {
    s = await startStorageFixture();
    client = s.client();
  });
  after(() => s.close());

  const put = async (key: string, body: Buffer | string, headers: Record<string, string> = {}) => {
    const res = await fetch(await s.presign("PUT", key, { signedHeaders: headers }), {
      method: "PUT",
      headers,
      body,
    });
    expect(res.status).to.equal(200);
    return res.headers.get("x-amz-version-id") ?? "";
  };
  const body = async (key: string, versionId?: string) => {
    const out = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
  };

  it("ListObjectVersions: versions and delete markers newest first per key, IsLatest, paged by key and version markers", async () => {
    const a1 = await put("lv/a", "a1");
    const a2 = await put("lv/a", "a2");
    const marker = (await fetch(await s.presign("DELETE", "lv/a"), { method: "DELETE" })).headers.get(
      "x-amz-version-id",
    );
    const b1 = await put("lv/b", "b1");
    const all = await client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: "lv/" }));
    expect(all.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).to.deep.equal([
      ["lv/a", marker, true],
    ]);
    expect(all.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size])).to.deep.equal([
      ["lv/a", a2, false, 2],
      ["lv/a", a1, false, 2],
      ["lv/b", b1, true, 2],
    ]);
    const order: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListObjectVersionsCommand({
          Bucket: BUCKET,
          Prefix: "lv/",
          MaxKeys: 1,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}),
        }),
      );
      order.push(
        ...(page.DeleteMarkers ?? []).map((m) => m.VersionId ?? ""),
        ...(page.Versions ?? []).map((v) => v.VersionId ?? ""),
      );
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
    }
    expect(order).to.deep.equal([marker, a2, a1, b1]);
  });

  it("CopyObject keeps the source's headers and metadata (COPY), or takes the request's (REPLACE), and links the bytes", async () => {
    const source = randomBytes(100_000);
    const sourceVersion = await put("cp/src.bin", source, {
      "content-type": "image/png",
      "x-amz-meta-sha256": "abc",
      "content-disposition": "inline",
    });
    const copied = await client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: "cp/dst.bin", CopySource: `${BUCKET}/cp/src.bin` }),
    );
    expect([
      copied.CopyObjectResult?.ETag,
      copied.CopySourceVersionId,
      copied.VersionId?.length,
    ]).to.deep.equal([`"${md5(source)}"`, sourceVersion, 32]);
    expect(copied.CopyObjectResult?.LastModified).to.be.instanceOf(Date);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "cp/dst.bin" }));
    expect([head.ContentType, head.Metadata, head.ContentDisposition, head.VersionId]).to.deep.equal([
      "image/png",
      { sha256: "abc" },
      "inline",
      copied.VersionId,
    ]);
    expect((await body("cp/dst.bin")).equals(source)).to.equal(true);
    const ino = (versionId: string) => {
      const dir = join(s.dataDir, "versions", BUCKET);
      const keyDir = (key: string) => createHash("sha256").update(key).digest("hex");
      return (key: string) => statSync(join(dir, keyDir(key), versionId, "data")).ino;
    };
    expect(ino(copied.VersionId ?? "")("cp/dst.bin")).to.equal(ino(sourceVersion)("cp/src.bin"));
    await client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: "cp/dst.bin",
        CopySource: `${BUCKET}/cp/src.bin`,
        MetadataDirective: "REPLACE",
        ContentType: "text/plain",
        Metadata: { note: "replaced" },
      }),
    );
    const replaced = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "cp/dst.bin" }));
    expect([replaced.ContentType, replaced.Metadata, replaced.ContentDisposition]).to.deep.equal([
      "text/plain",
      { note: "replaced" },
      undefined,
    ]);
  });

  it("CopyObject of an older version onto its own key restores it (undelete included); special sources get S3's errors", async () => {
    const v1 = await put("cp/restore.txt", "original");
    await put("cp/restore.txt", "overwritten");
    const marker =
      (await fetch(await s.presign("DELETE", "cp/restore.txt"), { method: "DELETE" })).headers.get(
        "x-amz-version-id",
      ) ?? "";
    const restored = await client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: "cp/restore.txt",
        CopySource: `${BUCKET}/cp/restore.txt?versionId=${v1}`,
      }),
    );
    expect(restored.CopySourceVersionId).to.equal(v1);
    expect((await body("cp/restore.txt")).toString()).to.equal("original");
    const cases: Array<[string, string, Record<string, string>, number, string]> = [
      ["itself without REPLACE", `${BUCKET}/cp/restore.txt`, {}, 400, "InvalidRequest"],
      [
        "a delete marker by version",
        `${BUCKET}/cp/restore.txt?versionId=${marker}`,
        {},
        400,
        "InvalidRequest",
      ],
      ["a missing key", `${BUCKET}/cp/none.txt`, {}, 404, "NoSuchKey"],
      [
        "an unknown version",
        `${BUCKET}/cp/restore.txt?versionId=${"B".repeat(32)}`,
        {},
        404,
        "NoSuchVersion",
      ],
      ["another bucket", "elsewhere/cp/restore.txt", {}, 404, "NoSuchBucket"],
      [
        "a failed copy-source If-Match",
        `${BUCKET}/cp/restore.txt`,
        { "x-amz-copy-source-if-match": '"0"', "x-amz-metadata-directive": "REPLACE" },
        412,
        "PreconditionFailed",
      ],
    ];
    for (const [name, source, extra, status, code] of cases) {
      const headers = { "x-amz-copy-source": source, ...extra };
      const url = await s.presign("PUT", "cp/restore.txt", { signedHeaders: headers });
      const res = await fetch(url, { method: "PUT", headers });
      expect([name, res.status, xmlText(await res.text(), "Code")]).to.deep.equal([name, status, code]);
    }
  });

  it("UploadPartCopy copies byte ranges of a version into parts; the completed object equals the ranges joined", async () => {
    const source = randomBytes(11 * MiB + 17);
    const sourceVersion = await put("upc/src.bin", source);
    await put("upc/src.bin", "a newer version that the copy must not read");
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "upc/dst.bin" }),
    );
    const ranges: Array<[number, number]> = [
      [6 * MiB, 11 * MiB + 16],
      [0, 5 * MiB - 1],
      [5 * MiB, 6 * MiB - 1],
    ];
    const etags: string[] = [];
    for (const [i, [first, last]] of ranges.entries()) {
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: "upc/dst.bin",
          UploadId,
          PartNumber: i + 1,
          CopySource: `${BUCKET}/upc/src.bin?versionId=${sourceVersion}`,
          CopySourceRange: `bytes=${first}-${last}`,
        }),
      );
      expect([out.CopySourceVersionId, out.CopyPartResult?.ETag]).to.deep.equal([
        sourceVersion,
        `"${md5(source.subarray(first, last + 1))}"`,
      ]);
      etags.push(out.CopyPartResult?.ETag ?? "");
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: "upc/dst.bin",
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const expected = Buffer.concat(ranges.map(([first, last]) => source.subarray(first, last + 1)));
    expect((await body("upc/dst.bin")).equals(expected)).to.equal(true);
    for (const range of ["bytes=0-99999999", "bytes=5-4", "0-5"]) {
      const headers = {
        "x-amz-copy-source": `${BUCKET}/upc/src.bin?versionId=${sourceVersion}`,
        "x-amz-copy-source-range": range,
      };
      const { UploadId: other } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "upc/bad.bin" }),
      );
      const url = await s.presign("PUT", "upc/bad.bin", {
        query: { uploadId: other ?? "", partNumber: "1" },
        signedHeaders: headers,
      });
      const res = await fetch(url, { method: "PUT", headers });
      expect([range, res.status, xmlText(await res.text(), "Code")]).to.deep.equal([
        range,
        400,
        "InvalidArgument",
      ]);
    }
  });

  it("the SDK's PutObject (header-signed, payload hashed) stores a version and its x-amz-content-sha256 is checked", async () => {
    const out = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "sdk/put.txt", Body: "via sdk" }),
    );
    expect(out.VersionId).to.match(/^[A-Za-z0-9][A-Za-z0-9._]{31}$/);
    expect((await body("sdk/put.txt", out.VersionId)).toString()).to.equal("via sdk");
  });
});
