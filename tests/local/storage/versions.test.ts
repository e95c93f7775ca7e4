import { createHash } from "node:crypto";
import { expect } from "chai";
import type { StorageCredentials } from "../../../local/storage/server";
import { READER, type StorageFixture, startStorageFixture, WRITER, xmlText } from "./fixture";

const VERSION_ID = /^[A-Za-z0-9][A-Za-z0-9._]{31}$/;

describe("local storage: versions and delete markers", () => {
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  const put = async (key: string, body: string) => {
    const res = await fetch(await s.presign("PUT", key), { method: "PUT", body });
    expect(res.status).to.equal(200);
    return res.headers.get("x-amz-version-id") ?? "";
  };
  /** As the function (which holds s3:ListBucket) unless `as` says otherwise. */
  const get = async (
    key: string,
    query: Record<string, string> = {},
    method: "GET" | "HEAD" = "GET",
    as: StorageCredentials = WRITER,
  ) => {
    const res = await fetch(await s.presign(method, key, { query, as }), { method });
    return { res, body: await res.text() };
  };

  it("every PUT is a new version, answered in x-amz-version-id; GET serves the current one or the one named", async () => {
    const v1 = await put("v/a.txt", "one");
    const v2 = await put("v/a.txt", "two, longer");
    expect([VERSION_ID.test(v1), VERSION_ID.test(v2), v1 === v2]).to.deep.equal([true, true, false]);
    const current = await get("v/a.txt");
    expect([current.res.status, current.body, current.res.headers.get("x-amz-version-id")]).to.deep.equal([
      200,
      "two, longer",
      v2,
    ]);
    const old = await get("v/a.txt", { versionId: v1 });
    expect([old.res.status, old.body, old.res.headers.get("x-amz-version-id")]).to.deep.equal([
      200,
      "one",
      v1,
    ]);
  });

  it("DELETE adds a delete marker: GET and HEAD are 404 NoSuchKey with x-amz-delete-marker; the versions stay readable", async () => {
    const v1 = await put("v/b.txt", "kept");
    const del = await fetch(await s.presign("DELETE", "v/b.txt"), { method: "DELETE" });
    const marker = del.headers.get("x-amz-version-id") ?? "";
    expect([del.status, del.headers.get("x-amz-delete-marker"), VERSION_ID.test(marker)]).to.deep.equal([
      204,
      "true",
      true,
    ]);
    const gone = await get("v/b.txt");
    expect([
      gone.res.status,
      xmlText(gone.body, "Code"),
      gone.res.headers.get("x-amz-delete-marker"),
      gone.res.headers.get("x-amz-version-id"),
    ]).to.deep.equal([404, "NoSuchKey", "true", marker]);
    const head = await get("v/b.txt", {}, "HEAD");
    expect([head.res.status, head.body, head.res.headers.get("x-amz-delete-marker")]).to.deep.equal([
      404,
      "",
      "true",
    ]);
    const atMarker = await get("v/b.txt", { versionId: marker });
    expect([
      atMarker.res.status,
      xmlText(atMarker.body, "Code"),
      atMarker.res.headers.get("x-amz-delete-marker"),
      atMarker.res.headers.get("allow"),
      typeof atMarker.res.headers.get("last-modified"),
    ]).to.deep.equal([405, "MethodNotAllowed", "true", "DELETE", "string"]);
    expect((await get("v/b.txt", { versionId: v1 })).body).to.equal("kept");
    // Removing the marker itself undeletes the key.
    const undelete = await fetch(await s.presign("DELETE", "v/b.txt", { query: { versionId: marker } }), {
      method: "DELETE",
    });
    expect([
      undelete.status,
      undelete.headers.get("x-amz-delete-marker"),
      undelete.headers.get("x-amz-version-id"),
    ]).to.deep.equal([204, "true", marker]);
    const back = await get("v/b.txt");
    expect([back.res.status, back.body, back.res.headers.get("x-amz-version-id")]).to.deep.equal([
      200,
      "kept",
      v1,
    ]);
  });

  it("DELETE ?versionId removes that version for good; the previous one becomes current", async () => {
    const v1 = await put("v/c.txt", "first");
    const v2 = await put("v/c.txt", "second");
    const del = await fetch(await s.presign("DELETE", "v/c.txt", { query: { versionId: v2 } }), {
      method: "DELETE",
    });
    expect([
      del.status,
      del.headers.get("x-amz-version-id"),
      del.headers.get("x-amz-delete-marker"),
    ]).to.deep.equal([204, v2, null]);
    const gone = await get("v/c.txt", { versionId: v2 });
    expect([gone.res.status, xmlText(gone.body, "Code"), xmlText(gone.body, "VersionId")]).to.deep.equal([
      404,
      "NoSuchVersion",
      v2,
    ]);
    const current = await get("v/c.txt");
    expect([current.body, current.res.headers.get("x-amz-version-id")]).to.deep.equal(["first", v1]);
  });

  const unknown = "A".repeat(32);
  for (const [name, key, query, method, status, code] of [
    ["an unknown version", "v/c.txt", { versionId: unknown }, "GET", 404, "NoSuchVersion"],
    ["an unknown version, HEAD (no body)", "v/c.txt", { versionId: unknown }, "HEAD", 404, undefined],
    ["a malformed version ID", "v/c.txt", { versionId: "not/a version" }, "GET", 400, "InvalidArgument"],
    ["a key never written", "v/never.txt", {}, "GET", 404, "NoSuchKey"],
  ] as const) {
    it(`GET of ${name} is ${status} ${code ?? ""}`, async () => {
      const { res, body } = await get(key, query, method);
      expect([res.status, xmlText(body, "Code")]).to.deep.equal([status, code]);
    });
  }

  it("If-None-Match: * refuses a PUT or a completion over a current object with 412, and allows it over a delete marker", async () => {
    const key = "v/create-only.bin";
    await put(key, "first");
    const createOnly = { "if-none-match": "*" };
    const refused = await fetch(await s.presign("PUT", key, { signedHeaders: createOnly }), {
      method: "PUT",
      headers: createOnly,
      body: "second",
    });
    expect([refused.status, xmlText(await refused.text(), "Code")]).to.deep.equal([
      412,
      "PreconditionFailed",
    ]);
    const created = await fetch(await s.presign("POST", key, { query: { uploads: "" } }), { method: "POST" });
    const uploadId = xmlText(await created.text(), "UploadId") ?? "";
    const part = await fetch(await s.presign("PUT", key, { query: { uploadId, partNumber: "1" } }), {
      method: "PUT",
      body: "multipart",
    });
    const complete = async () => {
      const xml = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.get("etag")}</ETag></Part></CompleteMultipartUpload>`;
      const res = await fetch(
        await s.presign("POST", key, { query: { uploadId }, signedHeaders: createOnly }),
        {
          method: "POST",
          headers: createOnly,
          body: xml,
        },
      );
      return { status: res.status, code: xmlText(await res.text(), "Code") };
    };
    expect(await complete()).to.deep.equal({ status: 412, code: "PreconditionFailed" });
    expect((await get(key)).body).to.equal("first");
    await fetch(await s.presign("DELETE", key), { method: "DELETE" });
    expect(await complete()).to.deep.equal({ status: 200, code: undefined });
    expect((await get(key)).body).to.equal("multipart");
  });

  it("DELETE with If-Match adds a delete marker only while the current version has that ETag", async () => {
    const key = "v/conditional-delete.txt";
    await put(key, "current");
    const etag = `"${createHash("md5").update("current").digest("hex")}"`;
    const del = async (name: string, ifMatch: string) => {
      const headers = { "if-match": ifMatch };
      const res = await fetch(await s.presign("DELETE", name, { signedHeaders: headers }), {
        method: "DELETE",
        headers,
      });
      return [res.status, xmlText(await res.text(), "Code") ?? "", res.headers.get("x-amz-delete-marker")];
    };
    expect(await del(key, '"0123456789abcdef0123456789abcdef"')).to.deep.equal([
      412,
      "PreconditionFailed",
      null,
    ]);
    expect((await get(key)).body).to.equal("current");
    expect(await del("v/no-such-key.txt", etag)).to.deep.equal([404, "NoSuchKey", null]);
    expect(await del(key, etag)).to.deep.equal([204, "", "true"]);
    expect((await get(key)).res.status).to.equal(404);
  });

  it("the reader key, which has no s3:ListBucket (OAC), gets 403 AccessDenied where the writer gets 404; versions that exist are served", async () => {
    const v1 = await put("v/reader.txt", "r1");
    const marker =
      (await fetch(await s.presign("DELETE", "v/reader.txt"), { method: "DELETE" })).headers.get(
        "x-amz-version-id",
      ) ?? "";
    const cases: Array<[string, string, Record<string, string>, number, number]> = [
      ["a key never written", "v/none.txt", {}, 404, 403],
      ["a key whose current version is a delete marker", "v/reader.txt", {}, 404, 403],
      ["an unknown version", "v/reader.txt", { versionId: "D".repeat(32) }, 404, 403],
      ["a version that is a delete marker", "v/reader.txt", { versionId: marker }, 405, 405],
      ["a version that exists", "v/reader.txt", { versionId: v1 }, 200, 200],
    ];
    const answers = [];
    for (const [name, key, query] of cases) {
      const writer = await get(key, query, "GET", WRITER);
      const reader = await get(key, query, "GET", READER);
      answers.push([name, writer.res.status, reader.res.status]);
    }
    expect(answers).to.deep.equal(cases.map(([name, , , writer, reader]) => [name, writer, reader]));
  });

  it("response-* query parameters set the answer's headers; unknown parameters are ignored", async () => {
    await put("v/d.bin", "data");
    const { res, body } = await get("v/d.bin", {
      "response-content-disposition": "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
      "response-content-type": "application/pdf",
      "response-cache-control": "private, max-age=60",
      "response-content-language": "fr",
      "response-expires": "Thu, 01 Dec 2026 16:00:00 GMT",
      "response-content-encoding": "identity",
      etag: "whatever",
    });
    expect([
      res.status,
      body,
      res.headers.get("content-disposition"),
      res.headers.get("content-type"),
      res.headers.get("cache-control"),
      res.headers.get("content-language"),
      res.headers.get("expires"),
      res.headers.get("content-encoding"),
    ]).to.deep.equal([
      200,
      "data",
      "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
      "application/pdf",
      "private, max-age=60",
      "fr",
      "Thu, 01 Dec 2026 16:00:00 GMT",
      "identity",
    ]);
  });

  it("a response-content-disposition that cannot be a header value (raw non-Latin-1 text) is 400 InvalidArgument", async () => {
    await put("v/e.bin", "data");
    const { res, body } = await get("v/e.bin", {
      "response-content-disposition": 'attachment; filename="日本.txt"',
    });
    expect([res.status, xmlText(body, "Code"), xmlText(body, "ArgumentName")]).to.deep.equal([
      400,
      "InvalidArgument",
      "response-content-disposition",
    ]);
  });

  it("a Range across a version is served with 206; HEAD answers the length", async () => {
    const v = await put("v/r.txt", "0123456789");
    await put("v/r.txt", "abc");
    const res = await fetch(await s.presign("GET", "v/r.txt", { query: { versionId: v }, as: READER }), {
      headers: { range: "bytes=3-5" },
    });
    expect([res.status, res.headers.get("content-range"), await res.text()]).to.deep.equal([
      206,
      "bytes 3-5/10",
      "345",
    ]);
    const head = await fetch(await s.presign("HEAD", "v/r.txt", { as: READER }), { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).to.deep.equal([200, "3"]);
  });

  it("an object sub-resource this storage does not implement (?acl, ?tagging) is 403 to the reader, 501 NotImplemented to the writer, never the object", async () => {
    await put("v/sub.txt", "secret bytes");
    const answers = [];
    const queries: Array<Record<string, string>> = [{ acl: "" }, { tagging: "" }];
    for (const query of queries) {
      for (const as of [READER, WRITER]) {
        const { res, body } = await get("v/sub.txt", query, "GET", as);
        answers.push([res.status, xmlText(body, "Code")]);
      }
    }
    expect(answers).to.deep.equal([
      [403, "AccessDenied"],
      [501, "NotImplemented"],
      [403, "AccessDenied"],
      [501, "NotImplemented"],
    ]);
  });

  for (const [name, method, key, query] of [
    ["PUT an object", "PUT", "v/x", {}],
    ["DELETE an object", "DELETE", "v/x", {}],
    ["DELETE a version", "DELETE", "v/x", { versionId: "A".repeat(32) }],
    ["start a multipart upload", "POST", "v/x", { uploads: "" }],
    ["list objects", "GET", "", { "list-type": "2" }],
    ["list versions", "GET", "", { versions: "" }],
  ] as const) {
    it(`the reader key (the edge's OAC) may not ${name}: 403 AccessDenied`, async () => {
      const url = await s.presign(method, key, { query, as: READER });
      const res = await fetch(url, { method, ...(method === "PUT" ? { body: "x" } : {}) });
      expect([res.status, xmlText(await res.text(), "Code")]).to.deep.equal([403, "AccessDenied"]);
    });
  }
});
