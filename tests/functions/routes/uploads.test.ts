import { expect } from "chai";
import { NotFound } from "../../../functions/api/http-error";
import { parseQuery, verifyPresigned } from "../../../local/sigv4";
import { functionUrlEvent } from "../../support/events";
import { callHandler, putVerifies, S3_HOST, signedHeadersOf } from "../../support/handler-calls";
import { baseConfig, CREDENTIALS, harness, NOW } from "../../support/handler-harness";
import { recordingStore } from "../../support/multipart-store";

const LIMITED = baseConfig({
  uploads: {
    maxUploadBytes: 10 * 1024 * 1024,
    allowedContentTypes: ["image/*", "application/pdf"],
    partSizeBytes: 8 * 1024 * 1024,
    requireChecksum: false,
    allowedMetadata: ["caption", "author"],
  },
});

const call = callHandler;

const error = (code: string, message: string) => ({ error: { code, message } });

describe("upload constraints, refused before anything is signed", () => {
  const cases: Array<[string, string, string, Record<string, string>, number, ReturnType<typeof error>]> = [
    [
      "over maxUploadBytes (single)",
      "PUT",
      "",
      { "content-type": "image/png", "upload-length": "10485761" },
      413,
      error("PayloadTooLarge", "the upload is 10485761 bytes; this store accepts at most 10485760 bytes"),
    ],
    [
      "over maxUploadBytes (multipart)",
      "POST",
      "uploads",
      { "content-type": "image/png", "upload-length": "20000000" },
      413,
      error("PayloadTooLarge", "the upload is 20000000 bytes; this store accepts at most 10485760 bytes"),
    ],
    [
      "a type outside allowedContentTypes",
      "PUT",
      "",
      { "content-type": "text/html; charset=utf-8", "upload-length": "10" },
      415,
      error(
        "UnsupportedMediaType",
        'content type "text/html" is not accepted; this store accepts image/*, application/pdf',
      ),
    ],
    [
      "no Content-Type when types are limited",
      "POST",
      "uploads",
      { "upload-length": "10" },
      415,
      error(
        "UnsupportedMediaType",
        "a Content-Type header is required; this store accepts image/*, application/pdf",
      ),
    ],
    [
      "no size when uploads are limited",
      "PUT",
      "",
      { "content-type": "image/png" },
      411,
      error(
        "LengthRequired",
        "this store limits uploads to 10485760 bytes; send Upload-Length (the file's size in bytes) so the limit can be signed into the upload URL",
      ),
    ],
    [
      "a malformed Upload-Length",
      "PUT",
      "",
      { "content-type": "image/png", "upload-length": "12MB" },
      400,
      error("InvalidUploadLength", 'Upload-Length must be a whole number of bytes, got "12MB"'),
    ],
    [
      "a malformed checksum",
      "PUT",
      "",
      { "content-type": "image/png", "upload-length": "10", "x-amz-checksum-crc64nvme": "abc" },
      400,
      error(
        "InvalidChecksum",
        "x-amz-checksum-crc64nvme must be the base64 of the 8-byte CRC64NVME of the bytes sent",
      ),
    ],
    [
      "user metadata the store does not keep",
      "PUT",
      "",
      { "content-type": "image/png", "upload-length": "10", "x-amz-meta-secret": "x" },
      400,
      error(
        "InvalidMetadata",
        "x-amz-meta-secret is not kept by this store; it keeps x-amz-meta-caption, x-amz-meta-author",
      ),
    ],
    [
      "user metadata that is not ASCII",
      "POST",
      "uploads",
      { "content-type": "image/png", "x-amz-meta-caption": "café" },
      400,
      error(
        "InvalidMetadata",
        "x-amz-meta-caption must be printable ASCII; send other text as an RFC 2047 encoded word (=?UTF-8?B?...?=)",
      ),
    ],
    [
      "user metadata over S3's 2 KB",
      "PUT",
      "",
      {
        "content-type": "image/png",
        "upload-length": "10",
        "x-amz-meta-caption": "c".repeat(1500),
        "x-amz-meta-author": "a".repeat(600),
      },
      400,
      error("MetadataTooLarge", "user metadata is 2113 bytes; S3 keeps at most 2048 (names and values)"),
    ],
    [
      "a Content-Disposition with a control character",
      "PUT",
      "",
      {
        "content-type": "image/png",
        "upload-length": "10",
        "content-disposition": "attachment;\tfilename=a",
      },
      400,
      error(
        "InvalidContentDisposition",
        "Content-Disposition must be at most 1024 characters without control characters",
      ),
    ],
  ];
  for (const [name, method, query, headers, status, body] of cases) {
    it(`${name}: ${status}`, async () => {
      const out = await call(LIMITED, method, "/photos/cat.png", { query, headers });
      expect(out.status).to.equal(status);
      expect(out.body).to.deep.equal(body);
      expect(out.calls).to.deep.equal([]);
    });
  }

  it("a single PUT over 5 GiB points to multipart, whatever the configured limit", async () => {
    const out = await call(baseConfig(), "PUT", "/video.mp4", {
      headers: { "upload-length": String(6 * 1024 ** 3) },
    });
    expect(out.status).to.equal(413);
    expect(out.body).to.deep.equal(
      error(
        "PayloadTooLarge",
        "a single PUT is limited to 5368709120 bytes (5 GiB) by S3; upload 6442450944 bytes in parts, starting with POST ?uploads",
      ),
    );
  });
});

describe("signed single PUTs", () => {
  it("sign Content-Type, Content-Length, Content-Disposition, the checksum and If-None-Match as headers, and list all but Content-Length (a browser sets it from the body) as headers to send", async () => {
    const crc = "rosUhgp5mIg=";
    const out = await call(LIMITED, "PUT", "/photos/cat.png", {
      headers: {
        "content-type": "image/png",
        "upload-length": "1234",
        "content-disposition": 'attachment; filename="cat.png"',
        "x-amz-checksum-crc64nvme": crc,
        "if-none-match": "*",
      },
    });
    expect(out.status).to.equal(200);
    expect(out.body.headers).to.deep.equal({
      "Content-Type": "image/png",
      "Content-Disposition": 'attachment; filename="cat.png"',
      "X-Amz-Checksum-Crc64nvme": crc,
      "If-None-Match": "*",
    });
    const signed = signedHeadersOf(out.body.url);
    expect(signed).to.equal(
      "content-disposition;content-length;content-type;host;if-none-match;x-amz-checksum-crc64nvme",
    );
    const headers = {
      host: S3_HOST,
      "content-type": "image/png",
      "content-length": "1234",
      "content-disposition": 'attachment; filename="cat.png"',
      "x-amz-checksum-crc64nvme": crc,
      "if-none-match": "*",
    };
    const verify = (h: Record<string, string>) => putVerifies(out.body.url, h);
    expect(verify(headers)).to.equal(true);
    // A body of another size, or another type, no longer matches the signature.
    expect(verify({ ...headers, "content-length": "1235" })).to.equal(false);
    expect(verify({ ...headers, "content-type": "text/html" })).to.equal(false);
    // Another checksum (the bytes changed), or none, no longer matches either.
    expect(verify({ ...headers, "x-amz-checksum-crc64nvme": "jC+ERbTL/Dw=" })).to.equal(false);
    const { "x-amz-checksum-crc64nvme": _crc, ...withoutChecksum } = headers;
    expect(verify(withoutChecksum)).to.equal(false);
  });

  it("sign the user metadata the store keeps, so S3 stores exactly those values", async () => {
    const out = await call(LIMITED, "PUT", "/photos/cat.png", {
      headers: { "content-type": "image/png", "upload-length": "3", "x-amz-meta-caption": "A cat" },
    });
    expect(out.status).to.equal(200);
    expect(out.body.headers).to.deep.equal({ "Content-Type": "image/png", "X-Amz-Meta-Caption": "A cat" });
    expect(signedHeadersOf(out.body.url)).to.equal("content-length;content-type;host;x-amz-meta-caption");
    const headers = {
      host: S3_HOST,
      "content-type": "image/png",
      "content-length": "3",
      "x-amz-meta-caption": "A cat",
    };
    const verify = (h: Record<string, string>) => putVerifies(out.body.url, h);
    expect(verify(headers)).to.equal(true);
    expect(verify({ ...headers, "x-amz-meta-caption": "A dog" })).to.equal(false);
  });

  it("a store that lists no metadata names refuses any, naming the header", async () => {
    const out = await call(baseConfig(), "PUT", "/photos/cat.png", {
      headers: { "upload-length": "3", "x-amz-meta-caption": "A cat" },
    });
    expect(out.status).to.equal(400);
    expect(out.body).to.deep.equal(
      error("InvalidMetadata", "this store keeps no user metadata; remove x-amz-meta-caption"),
    );
  });
});

const TWO_PARTS_BODY = JSON.stringify({
  parts: [
    { partNumber: 1, etag: '"e1"' },
    { partNumber: 2, etag: '"e2"' },
  ],
});

describe("multipart routes", () => {
  it("POST ?uploads creates with the upload's type, disposition and metadata, and offers a part size", async () => {
    const store = recordingStore();
    const out = await call(
      LIMITED,
      "POST",
      "/photos/cat.png",
      {
        query: "uploads",
        headers: {
          "content-type": "image/png",
          "upload-length": "9000000",
          "x-amz-meta-author": "=?UTF-8?B?QW5kcsOp?=",
        },
      },
      store,
    );
    expect(out.status).to.equal(200);
    expect(out.body).to.deep.equal({
      uploadId: "UPLOAD-1",
      key: "photos/cat.png",
      partSize: 8 * 1024 * 1024,
      maxParts: 10000,
    });
    expect(store.calls).to.deep.equal([
      'create photos/cat.png {"contentType":"image/png","length":9000000,"metadata":{"author":"=?UTF-8?B?QW5kcsOp?="}}',
    ]);
  });

  it("raises the part size so that 5 TiB fits in 10,000 parts", async () => {
    const out = await call(baseConfig(), "POST", "/huge.bin", {
      query: "uploads",
      headers: { "upload-length": String(5 * 1024 ** 4) },
    });
    expect(out.body.partSize).to.equal(525 * 1024 * 1024);
  });

  it("GET ?uploadId&parts=3-5 signs exactly those parts, with partNumber and uploadId in each signature", async () => {
    const out = await call(baseConfig(), "GET", "/a.bin", { query: "uploadId=U%2B1&parts=3-5" });
    expect(out.status).to.equal(200);
    expect(out.calls).to.deep.equal(["check a.bin U+1"]);
    expect(out.body.parts.map((p: { partNumber: number }) => p.partNumber)).to.deep.equal([3, 4, 5]);
    for (const part of out.body.parts as Array<{ partNumber: number; url: string }>) {
      const url = new URL(part.url);
      const query = new Map(parseQuery(url.search.slice(1)));
      expect(query.get("partNumber")).to.equal(String(part.partNumber));
      expect(query.get("uploadId")).to.equal("U+1");
      const verdict = verifyPresigned(
        { method: "PUT", rawPath: url.pathname, rawQuery: url.search.slice(1), headers: { host: url.host } },
        () => CREDENTIALS.secretAccessKey,
        NOW,
      );
      expect(verdict.ok).to.equal(true);
    }
  });

  it("GET ?uploadId&parts=1-1000 of an upload that is gone is 404 NoSuchUpload, with nothing signed", async () => {
    const gone = recordingStore();
    const store = {
      ...gone.store,
      checkUpload: async (key: string, uploadId: string) => {
        gone.calls.push(`check ${key} ${uploadId}`);
        throw new NotFound("NoSuchUpload", `no multipart upload ${uploadId} for this key`);
      },
    };
    const out = await call(
      baseConfig(),
      "GET",
      "/a.bin",
      { query: "uploadId=U9&parts=1-1000" },
      {
        store,
        calls: gone.calls,
      },
    );
    expect(out).to.deep.equal({
      status: 404,
      body: error("NoSuchUpload", "no multipart upload U9 for this key"),
      calls: ["check a.bin U9"],
    });
  });

  it("PUT ?partNumber&uploadId answers 307 to the presigned part", async () => {
    const { handle } = harness(baseConfig(), undefined, { multipart: recordingStore().store });
    const result = await handle(
      functionUrlEvent("PUT", "/a.bin", { rawQueryString: "partNumber=2&uploadId=U1" }),
    );
    expect(result.statusCode).to.equal(307);
    const location = new URL(result.headers?.location ?? "");
    expect(new Map(parseQuery(location.search.slice(1))).get("partNumber")).to.equal("2");
  });

  it("POST ?uploadId completes, reporting the size of the listed parts and the object's location in the API", async () => {
    const store = recordingStore([
      { partNumber: 1, etag: '"e1"', size: 8388608 },
      { partNumber: 2, etag: '"e2"', size: 100 },
    ]);
    const body = TWO_PARTS_BODY;
    const out = await call(
      baseConfig(),
      "POST",
      "/a.bin",
      { query: "uploadId=U1", body, headers: { "if-none-match": "*" } },
      store,
    );
    expect(out.status).to.equal(200);
    expect(out.body).to.deep.equal({
      key: "a.bin",
      etag: '"abc-2"',
      size: 8388708,
      location: "https://abc123.lambda-url.eu-west-1.on.aws/a.bin",
    });
    expect(store.calls).to.deep.equal([
      "list a.bin U1",
      'complete a.bin U1 [{"partNumber":1,"etag":"\\"e1\\""},{"partNumber":2,"etag":"\\"e2\\""}] {"createOnly":true,"size":8388708}',
    ]);
  });

  it("POST ?uploadId over maxUploadBytes aborts the upload and answers 413", async () => {
    const store = recordingStore([
      { partNumber: 1, etag: '"e1"', size: 8388608 },
      { partNumber: 2, etag: '"e2"', size: 8388608 },
    ]);
    const body = TWO_PARTS_BODY;
    const out = await call(LIMITED, "POST", "/a.png", { query: "uploadId=U1", body }, store);
    expect(out.status).to.equal(413);
    expect(out.body).to.deep.equal(
      error(
        "PayloadTooLarge",
        "the upload is 16777216 bytes; this store accepts at most 10485760 bytes, so it was aborted",
      ),
    );
    expect(store.calls).to.deep.equal(["list a.png U1", "abort a.png U1"]);
  });

  it("DELETE ?uploadId aborts: 204", async () => {
    const store = recordingStore();
    const out = await call(baseConfig(), "DELETE", "/a.bin", { query: "uploadId=U1" }, store);
    expect(out.status).to.equal(204);
    expect(store.calls).to.deep.equal(["abort a.bin U1"]);
  });

  const bad: Array<[string, string, string | undefined, string, string]> = [
    [
      "PUT",
      "partNumber=0&uploadId=U",
      undefined,
      "InvalidPartNumber",
      'partNumber must be a whole number from 1 to 10000, got "0"',
    ],
    ["PUT", "partNumber=1", undefined, "InvalidQuery", "an upload part needs both partNumber and uploadId"],
    [
      "GET",
      "uploadId=U&parts=5-2",
      undefined,
      "InvalidPartRange",
      'parts must be N or N-M with N <= M and at most 1000 parts, got "5-2"',
    ],
    [
      "GET",
      "uploadId=U&parts=1-1001",
      undefined,
      "InvalidPartRange",
      'parts must be N or N-M with N <= M and at most 1000 parts, got "1-1001"',
    ],
    ["GET", "uploadId=", undefined, "InvalidUploadId", "uploadId must not be empty"],
    [
      "GET",
      "uploadId=a&uploadId=b",
      undefined,
      "InvalidQuery",
      "the query parameter uploadId is given twice",
    ],
    [
      "POST",
      "uploadId=U",
      "not json",
      "InvalidCompleteBody",
      'the body must be JSON { "parts": [{ "partNumber": N, "etag": "...", "checksum": "..." }] } in ascending order: it is not JSON',
    ],
    [
      "POST",
      "uploadId=U",
      '{"parts":[{"partNumber":2,"etag":"a"},{"partNumber":1,"etag":"b"}]}',
      "InvalidCompleteBody",
      'the body must be JSON { "parts": [{ "partNumber": N, "etag": "...", "checksum": "..." }] } in ascending order: parts[1].partNumber is not above the one before',
    ],
  ];
  for (const [method, query, body, code, message] of bad) {
    it(`${method} ?${query} answers 400 ${code}`, async () => {
      const out = await call(baseConfig(), method, "/a.bin", {
        query,
        ...(body === undefined ? {} : { body }),
      });
      expect(out.status).to.equal(400);
      expect(out.body).to.deep.equal(error(code, message));
      expect(out.calls).to.deep.equal([]);
    });
  }
});
