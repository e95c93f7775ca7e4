import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { BUCKET, md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

const MiB = 1024 * 1024;

describe("local storage: an upload is completed once", function () {
  this.timeout(60_000);
  let s: StorageFixture;
  let client: S3Client;
  before(async () => {
    s = await startStorageFixture();
    client = s.client();
  });
  after(() => s.close());

  /** An upload of two parts (5 MiB and 1 KiB); resolves with its ID and the completion body. */
  async function twoParts(key: string) {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const uploadId = UploadId ?? "";
    const parts = [randomBytes(5 * MiB), randomBytes(1024)];
    for (const [i, body] of parts.entries()) {
      const url = await s.presign("PUT", key, { query: { uploadId, partNumber: String(i + 1) } });
      expect((await fetch(url, { method: "PUT", body })).status).to.equal(200);
    }
    const xml = `<CompleteMultipartUpload>${parts
      .map((p, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${md5(p)}"</ETag></Part>`)
      .join("")}</CompleteMultipartUpload>`;
    return { uploadId, xml };
  }
  const complete = async (key: string, uploadId: string, xml: string) => {
    const res = await fetch(await s.presign("POST", key, { query: { uploadId } }), {
      method: "POST",
      body: xml,
    });
    const text = await res.text();
    return {
      status: res.status,
      code: xmlText(text, "Code"),
      etag: xmlText(text, "ETag"),
      versionId: res.headers.get("x-amz-version-id"),
    };
  };
  const versionsOf = async (key: string) =>
    (await client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: key }))).Versions ?? [];

  it("five concurrent completions of one upload make one version; every one answers 200 with it", async () => {
    const key = "done/race.bin";
    const { uploadId, xml } = await twoParts(key);
    const answers = await Promise.all(Array.from({ length: 5 }, () => complete(key, uploadId, xml)));
    const versions = await versionsOf(key);
    expect(versions.map((v) => v.Key)).to.deep.equal([key]);
    const first = answers[0];
    expect(answers.map((a) => [a.status, a.versionId, a.etag])).to.deep.equal(
      answers.map(() => [200, versions[0]?.VersionId, first?.etag]),
    );
    expect(first?.etag).to.match(/^&quot;[0-9a-f]{32}-2&quot;$/);
  });

  it("a completion retried after success answers the same; other parts, a part, a listing or an abort of it are 404 NoSuchUpload", async () => {
    const key = "done/retry.bin";
    const { uploadId, xml } = await twoParts(key);
    const done = await complete(key, uploadId, xml);
    expect(done.status).to.equal(200);
    expect(await complete(key, uploadId, xml)).to.deep.equal(done);
    const again = await client
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: "x" }] },
        }),
      )
      .then(
        () => "completed again",
        (error: { name: string }) => error.name,
      );
    expect(again).to.equal("NoSuchUpload");
    const part = await fetch(await s.presign("PUT", key, { query: { uploadId, partNumber: "3" } }), {
      method: "PUT",
      body: "late",
    });
    const list = await fetch(await s.presign("GET", key, { query: { uploadId } }));
    const abort = await fetch(await s.presign("DELETE", key, { query: { uploadId } }), { method: "DELETE" });
    for (const res of [part, list, abort]) {
      expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([404, "NoSuchUpload"]);
    }
    // Under another key the same upload ID names nothing.
    expect((await complete("done/other.bin", uploadId, xml)).code).to.equal("NoSuchUpload");
    expect((await versionsOf(key)).length).to.equal(1);
  });
});
