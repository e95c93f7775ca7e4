import {
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { BUCKET, md5, type StorageFixture, startStorageFixture, xmlText } from "./fixture";

describe("local storage: DeleteObjects reads its body as XML does", () => {
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  const put = async (key: string) => {
    const res = await fetch(await s.presign("PUT", key), { method: "PUT", body: `bytes of ${key}` });
    expect(res.status).to.equal(200);
  };
  const status = async (key: string) => (await fetch(await s.presign("GET", key))).status;
  const deleteObjects = async (body: Buffer | string) => {
    const headers = { "content-md5": Buffer.from(md5(body), "hex").toString("base64") };
    const url = await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers });
    const res = await fetch(url, { method: "POST", headers, body });
    const text = await res.text();
    return { status: res.status, code: xmlText(text, "Code"), text };
  };

  it("a key in a CDATA section is taken literally: `&amp;` and `</Key>` in it are the key's own characters", async () => {
    const literal = ["cd/&amp;", "cd/a</Key>b", "cd/<![x]"];
    const lookalikes = ["cd/&", "cd/a"];
    for (const key of [...literal, ...lookalikes]) await put(key);
    const xml =
      "<Delete><Object><Key><![CDATA[cd/&amp;]]></Key></Object>" +
      "<Object><Key>cd/<![CDATA[a</Key>b]]></Key></Object>" +
      "<Object><Key><![CDATA[cd/<![x]]]></Key></Object></Delete>";
    const answer = await deleteObjects(xml);
    expect(answer.status).to.equal(200);
    expect([...answer.text.matchAll(/<Deleted><Key>([^<]*)<\/Key>/g)].map((m) => m[1])).to.deep.equal([
      "cd/&amp;amp;",
      "cd/a&lt;/Key&gt;b",
      "cd/&lt;![x]",
    ]);
    for (const key of literal) expect(await status(key), key).to.equal(404);
    for (const key of lookalikes) expect(await status(key), key).to.equal(200);
  });

  it("characters XML does not allow (U+0001, U+FFFF, U+FFFE), raw or in CDATA, and bytes that are not UTF-8 are 400 MalformedXML; nothing is deleted", async () => {
    await put("bad/x");
    const bodies: Array<[string, Buffer | string]> = [
      ["U+0001", "<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/\u0001</Key></Object></Delete>"],
      ["U+FFFF", "<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/\uFFFF</Key></Object></Delete>"],
      ["U+FFFE", "<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/\uFFFE</Key></Object></Delete>"],
      [
        "U+0001 in CDATA",
        "<Delete><Object><Key>bad/x</Key></Object><Object><Key><![CDATA[\u0001]]></Key></Object></Delete>",
      ],
      ["U+0008 outside keys", "<Delete>\b<Object><Key>bad/x</Key></Object></Delete>"],
      [
        "an unterminated CDATA",
        "<Delete><Object><Key>bad/x</Key></Object><Object><Key><![CDATA[y</Key></Object></Delete>",
      ],
      [
        "invalid UTF-8",
        Buffer.concat([
          Buffer.from("<Delete><Object><Key>bad/x</Key></Object><Object><Key>bad/"),
          Buffer.from([0xc3, 0x28]),
          Buffer.from("</Key></Object></Delete>"),
        ]),
      ],
    ];
    for (const [name, body] of bodies) {
      const answer = await deleteObjects(body);
      expect([answer.status, answer.code], name).to.deep.equal([400, "MalformedXML"]);
    }
    expect(await status("bad/x")).to.equal(200);
  });
});

describe("local storage: DeleteObjects", () => {
  let s: StorageFixture;
  let client: S3Client;
  before(async () => {
    s = await startStorageFixture();
    client = s.client();
  });
  after(() => s.close());

  const put = async (key: string, text: string) => {
    const res = await fetch(await s.presign("PUT", key), { method: "PUT", body: text });
    expect(res.status).to.equal(200);
    return res.headers.get("x-amz-version-id") ?? "";
  };
  const body = async (key: string) => {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
  };

  it("DeleteObjects: markers for keys, versions removed for good, a missing key reported deleted; Quiet lists only errors", async () => {
    await put("do/a", "a");
    const b1 = await put("do/b", "b1");
    const b2 = await put("do/b", "b2");
    const out = await client.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: {
          Objects: [
            { Key: "do/a" },
            { Key: "do/b", VersionId: b2 },
            { Key: "do/missing" },
            { Key: "do/b", VersionId: "bad" },
          ],
        },
      }),
    );
    expect(
      out.Deleted?.map((d) => [d.Key, d.VersionId, d.DeleteMarker, typeof d.DeleteMarkerVersionId]),
    ).to.deep.equal([
      ["do/a", undefined, true, "string"],
      ["do/b", b2, undefined, "undefined"],
      ["do/missing", undefined, true, "string"],
    ]);
    expect(out.Errors?.map((e) => [e.Key, e.VersionId, e.Code])).to.deep.equal([
      ["do/b", "bad", "NoSuchVersion"],
    ]);
    expect((await fetch(await s.presign("GET", "do/a"))).status).to.equal(404);
    expect((await body("do/b")).toString()).to.equal("b1");
    const quiet = await client.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Quiet: true, Objects: [{ Key: "do/b", VersionId: b1 }] },
      }),
    );
    expect([quiet.Deleted, quiet.Errors]).to.deep.equal([undefined, undefined]);
    expect((await fetch(await s.presign("GET", "do/b"))).status).to.equal(404);
  });

  it("DeleteObjects deletes keys that read like XML escapes (`&amp;`, `&#x41;`, `&lt;x`) and not the keys they would unescape to", async () => {
    const named = ["ent/&amp;", "ent/&#x41;", "ent/&lt;x"];
    const lookalikes = ["ent/&", "ent/A", "ent/<x"];
    for (const key of [...named, ...lookalikes]) await put(key, `bytes of ${key}`);
    const out = await client.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: named.map((Key) => ({ Key })) } }),
    );
    expect(out.Deleted?.map((d) => d.Key)).to.deep.equal(named);
    expect(out.Errors).to.equal(undefined);
    for (const key of named) expect((await fetch(await s.presign("GET", key))).status, key).to.equal(404);
    for (const key of lookalikes) expect((await body(key)).toString()).to.equal(`bytes of ${key}`);
  });

  it("DeleteObjects and CompleteMultipartUpload bodies with a reference to no XML character are 400 MalformedXML and change nothing", async () => {
    await put("ent/\ufffd.txt", "precious");
    for (const reference of ["&#xD800;", "&#99999999;", "&#0;", "&nbsp;"]) {
      const xml = `<Delete><Object><Key>ent/${reference}.txt</Key></Object></Delete>`;
      const headers = { "content-md5": Buffer.from(md5(xml), "hex").toString("base64") };
      const url = await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers });
      const res = await fetch(url, { method: "POST", headers, body: xml });
      expect([res.status, xmlText(await res.text(), "Code")], reference).to.deep.equal([400, "MalformedXML"]);
    }
    expect((await body("ent/\ufffd.txt")).toString()).to.equal("precious");
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "ent/mp" }),
    );
    const complete = await s.presign("POST", "ent/mp", { query: { uploadId: UploadId ?? "" } });
    const res = await fetch(complete, {
      method: "POST",
      body: "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#xDC00;</ETag></Part></CompleteMultipartUpload>",
    });
    expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([400, "MalformedXML"]);
  });

  it("DeleteObjects without Content-MD5 or a checksum is 400 InvalidRequest; with a wrong one 400 BadDigest", async () => {
    const xml = "<Delete><Object><Key>do/x</Key></Object></Delete>";
    const good = Buffer.from(md5(xml), "hex").toString("base64");
    for (const [headers, status, code] of [
      [{}, 400, "InvalidRequest"],
      [{ "content-md5": Buffer.from(md5("other"), "hex").toString("base64") }, 400, "BadDigest"],
      [{ "x-amz-checksum-crc32": "AAAAAA==" }, 400, "BadDigest"],
      [{ "content-md5": good }, 200, undefined],
    ] as const) {
      const url = await s.presign("POST", "", { query: { delete: "" }, signedHeaders: headers });
      const res = await fetch(url, { method: "POST", headers, body: xml });
      expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([status, code]);
    }
  });
});
