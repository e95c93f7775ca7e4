import { createHash } from "node:crypto";
import { expect } from "chai";
import { Crc64Nvme, combineCrc64, crc64ToBase64 } from "../../../functions/api/checksums";
import { DEFAULT_UPLOAD_LIMITS } from "../../../functions/api/upload-rules";
import { functionUrlEvent } from "../../support/events";
import { callHandler, putVerifies, S3_HOST, signedHeadersOf } from "../../support/handler-calls";
import { baseConfig, harness } from "../../support/handler-harness";
import { type RecordingOptions, recordingStore } from "../../support/multipart-store";

const crcOf = (bytes: Buffer) => new Crc64Nvme().update(bytes).digest();
const sha256Of = (bytes: Buffer) => createHash("sha256").update(bytes).digest("base64");
const REQUIRED = baseConfig({ uploads: { ...DEFAULT_UPLOAD_LIMITS, requireChecksum: true } });
const CRC_UPLOAD: RecordingOptions = { checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT" } };
const SHA_UPLOAD: RecordingOptions = { checksum: { algorithm: "SHA256", type: "COMPOSITE" } };

const call = (
  method: string,
  path: string,
  options: Parameters<typeof callHandler>[3] & { config?: ReturnType<typeof baseConfig> } = {},
  store = recordingStore(),
) => callHandler(options.config ?? baseConfig(), method, path, options, store);

/** Whether a presigned URL verifies for exactly these headers, as S3 would check it. */
const verifies = (urlText: string, headers: Record<string, string>) =>
  putVerifies(urlText, { host: S3_HOST, ...headers });
const signedHeaders = signedHeadersOf;
const error = (code: string, message: string) => ({ error: { code, message } });

describe("checksums: a single PUT signs the client's checksum, which S3 then verifies", () => {
  const bytes = Buffer.from("the bytes the client is about to send");

  for (const [header, value] of [
    ["x-amz-checksum-crc64nvme", crcOf(bytes)],
    ["x-amz-checksum-sha256", sha256Of(bytes)],
  ] as const) {
    it(`${header} is signed and listed; another value or none fails the signature`, async () => {
      const out = await call("PUT", "/a.bin", {
        headers: { "upload-length": String(bytes.length), [header]: value },
      });
      expect(out.status).to.equal(200);
      const listed =
        header === "x-amz-checksum-crc64nvme" ? "X-Amz-Checksum-Crc64nvme" : "X-Amz-Checksum-Sha256";
      expect(out.body.headers).to.deep.equal({ [listed]: value });
      expect(signedHeaders(out.body.url)).to.equal(`content-length;host;${header}`);
      const sent = { "content-length": String(bytes.length), [header]: value };
      expect(verifies(out.body.url, sent)).to.equal(true);
      const other =
        header === "x-amz-checksum-crc64nvme" ? crcOf(Buffer.from("x")) : sha256Of(Buffer.from("x"));
      expect(verifies(out.body.url, { ...sent, [header]: other })).to.equal(false);
      expect(verifies(out.body.url, { "content-length": String(bytes.length) })).to.equal(false);
    });
  }

  it("curl -L -T with the header: the 307's URL signs the header curl sends again", async () => {
    const { handle } = harness(baseConfig());
    const result = await handle(
      functionUrlEvent("PUT", "/a.bin", {
        headers: { "x-amz-checksum-crc64nvme": crcOf(bytes) },
        body: bytes.toString(),
      }),
    );
    expect(result.statusCode).to.equal(307);
    const location = result.headers?.location ?? "";
    expect(signedHeaders(location)).to.equal("content-length;host;x-amz-checksum-crc64nvme");
    expect(
      verifies(location, {
        "content-length": String(bytes.length),
        "x-amz-checksum-crc64nvme": crcOf(bytes),
      }),
    ).to.equal(true);
  });

  it("x-amz-meta-sha256, which S3 never checked, is refused as any metadata the store does not keep", async () => {
    const out = await call("PUT", "/a.bin", { headers: { "x-amz-meta-sha256": "a".repeat(64) } });
    expect([out.status, out.body]).to.deep.equal([
      400,
      error("InvalidMetadata", "this store keeps no user metadata; remove x-amz-meta-sha256"),
    ]);
  });

  const refused: Array<[string, Record<string, string>, ReturnType<typeof error>]> = [
    [
      "a CRC64NVME of the wrong length",
      { "x-amz-checksum-crc64nvme": sha256Of(bytes) },
      error(
        "InvalidChecksum",
        "x-amz-checksum-crc64nvme must be the base64 of the 8-byte CRC64NVME of the bytes sent",
      ),
    ],
    [
      // S3 decodes strictly: the padding bits must be zero.
      "a CRC64NVME in non-canonical base64",
      { "x-amz-checksum-crc64nvme": "rosUhgp5mIh=" },
      error(
        "InvalidChecksum",
        "x-amz-checksum-crc64nvme must be the base64 of the 8-byte CRC64NVME of the bytes sent",
      ),
    ],
    [
      "a SHA-256 in hex",
      { "x-amz-checksum-sha256": createHash("sha256").update(bytes).digest("hex") },
      error(
        "InvalidChecksum",
        "x-amz-checksum-sha256 must be the base64 of the 32-byte SHA-256 of the bytes sent",
      ),
    ],
    [
      "two checksums at once",
      { "x-amz-checksum-crc64nvme": crcOf(bytes), "x-amz-checksum-sha256": sha256Of(bytes) },
      error(
        "InvalidChecksum",
        "send one checksum header, x-amz-checksum-crc64nvme or x-amz-checksum-sha256, not both",
      ),
    ],
    [
      "another algorithm's checksum",
      { "x-amz-checksum-crc32": "AAAAAA==" },
      error(
        "InvalidChecksum",
        "this store takes x-amz-checksum-crc64nvme or x-amz-checksum-sha256, not x-amz-checksum-crc32",
      ),
    ],
  ];
  for (const [what, headers, body] of refused) {
    it(`${what} is 400 ${body.error.code}, nothing signed`, async () => {
      const out = await call("PUT", "/a.bin", { headers });
      expect([out.status, out.body]).to.deep.equal([400, body]);
    });
  }

  it("a store that requires checksums refuses a PUT without one: 400 ChecksumRequired", async () => {
    const out = await call("PUT", "/a.bin", { config: REQUIRED });
    expect([out.status, out.body]).to.deep.equal([
      400,
      error(
        "ChecksumRequired",
        "this store requires x-amz-checksum-crc64nvme or x-amz-checksum-sha256 on every write",
      ),
    ]);
    const ok = await call("PUT", "/a.bin", {
      config: REQUIRED,
      headers: { "x-amz-checksum-sha256": sha256Of(bytes) },
    });
    expect(ok.status).to.equal(200);
  });
});

describe("checksums: multipart uploads", () => {
  it("POST ?uploads with x-amz-checksum-algorithm creates the upload with it and its only type, and says so", async () => {
    for (const [asked, algorithm, type] of [
      ["CRC64NVME", "CRC64NVME", "FULL_OBJECT"],
      ["sha256", "SHA256", "COMPOSITE"],
    ] as const) {
      const store = recordingStore();
      const out = await call(
        "POST",
        "/big.bin",
        { query: "uploads", headers: { "x-amz-checksum-algorithm": asked } },
        store,
      );
      expect(out.status).to.equal(200);
      expect(out.body).to.deep.equal({
        uploadId: "UPLOAD-1",
        key: "big.bin",
        partSize: 8 * 1024 * 1024,
        maxParts: 10000,
        checksumAlgorithm: algorithm,
        checksumType: type,
      });
      expect(store.calls).to.deep.equal([
        `create big.bin {"multipartChecksum":{"algorithm":"${algorithm}","type":"${type}"}}`,
      ]);
    }
  });

  it("without the header: no algorithm, unless the store requires checksums, then CRC64NVME", async () => {
    const plain = await call("POST", "/big.bin", { query: "uploads" });
    expect(plain.body).to.not.have.property("checksumAlgorithm");
    expect(plain.calls).to.deep.equal(["create big.bin {}"]);
    const required = await call("POST", "/big.bin", { query: "uploads", config: REQUIRED });
    expect([required.body.checksumAlgorithm, required.body.checksumType]).to.deep.equal([
      "CRC64NVME",
      "FULL_OBJECT",
    ]);
    expect(required.calls).to.deep.equal([
      'create big.bin {"multipartChecksum":{"algorithm":"CRC64NVME","type":"FULL_OBJECT"}}',
    ]);
  });

  it("an algorithm the store does not take, or a type S3 does not allow with it, is 400 InvalidChecksum", async () => {
    const crc32 = await call("POST", "/big.bin", {
      query: "uploads",
      headers: { "x-amz-checksum-algorithm": "CRC32" },
    });
    expect([crc32.status, crc32.body, crc32.calls]).to.deep.equal([
      400,
      error("InvalidChecksum", 'x-amz-checksum-algorithm must be CRC64NVME or SHA256, got "CRC32"'),
      [],
    ]);
    const composite = await call("POST", "/big.bin", {
      query: "uploads",
      headers: { "x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE" },
    });
    expect([composite.status, composite.body]).to.deep.equal([
      400,
      error(
        "InvalidChecksum",
        'a CRC64NVME multipart upload is FULL_OBJECT; x-amz-checksum-type "COMPOSITE" is not possible',
      ),
    ]);
  });

  const part = (n: number) => Buffer.alloc(100, n);

  it("PUT ?partNumber signs that part's checksum into the 307 it answers", async () => {
    const { handle } = harness(baseConfig(), undefined, {
      multipart: recordingStore([], "U1", CRC_UPLOAD).store,
    });
    const result = await handle(
      functionUrlEvent("PUT", "/big.bin", {
        rawQueryString: "partNumber=2&uploadId=U1",
        headers: { "x-amz-checksum-crc64nvme": crcOf(part(2)) },
      }),
    );
    expect(result.statusCode).to.equal(307);
    const location = result.headers?.location ?? "";
    expect(signedHeaders(location)).to.equal("host;x-amz-checksum-crc64nvme");
    expect(verifies(location, { "x-amz-checksum-crc64nvme": crcOf(part(2)) })).to.equal(true);
    expect(verifies(location, { "x-amz-checksum-crc64nvme": crcOf(part(3)) })).to.equal(false);
  });

  it("GET ?parts=3-5 with comma-separated values signs each part's own checksum and lists it", async () => {
    const values = [3, 4, 5].map((n) => crcOf(part(n)));
    const store = recordingStore([], "U1", CRC_UPLOAD);
    const out = await call(
      "GET",
      "/big.bin",
      { query: "uploadId=U1&parts=3-5", headers: { "x-amz-checksum-crc64nvme": values.join(", ") } },
      store,
    );
    expect(out.status).to.equal(200);
    expect(out.calls).to.deep.equal(["check big.bin U1"]);
    const parts = out.body.parts as Array<{
      partNumber: number;
      url: string;
      headers: Record<string, string>;
    }>;
    expect(parts.map((p) => [p.partNumber, p.headers])).to.deep.equal(
      values.map((value, i) => [3 + i, { "X-Amz-Checksum-Crc64nvme": value }]),
    );
    parts.forEach((p, i) => {
      expect(
        verifies(p.url, { "x-amz-checksum-crc64nvme": values[i] ?? "" }),
        `part ${p.partNumber}`,
      ).to.equal(true);
      // Part 4's URL does not take part 3's bytes.
      expect(verifies(p.url, { "x-amz-checksum-crc64nvme": values[(i + 1) % 3] ?? "" })).to.equal(false);
    });
  });

  const partRefusals: Array<
    [string, string, Record<string, string>, RecordingOptions, ReturnType<typeof error>, string[]]
  > = [
    [
      "a count that does not match the range",
      "uploadId=U1&parts=3-5",
      { "x-amz-checksum-crc64nvme": [3, 4].map((n) => crcOf(part(n))).join(",") },
      CRC_UPLOAD,
      error(
        "InvalidChecksum",
        "x-amz-checksum-crc64nvme must hold one value per part asked for (3, parts 3-5), comma-separated; it holds 2",
      ),
      [],
    ],
    [
      "a malformed value in the list, named by its part",
      "uploadId=U1&parts=3-5",
      { "x-amz-checksum-crc64nvme": [crcOf(part(3)), "nope", crcOf(part(5))].join(",") },
      CRC_UPLOAD,
      error(
        "InvalidChecksum",
        "x-amz-checksum-crc64nvme must be the base64 of the 8-byte CRC64NVME of part 4",
      ),
      [],
    ],
    [
      "no checksum for an upload created with one",
      "uploadId=U1&parts=1-2",
      {},
      CRC_UPLOAD,
      error(
        "InvalidChecksum",
        "this upload was created with CRC64NVME: send x-amz-checksum-crc64nvme with each part's checksum",
      ),
      ["check big.bin U1"],
    ],
    [
      "another algorithm than the upload's",
      "uploadId=U1&parts=1",
      { "x-amz-checksum-crc64nvme": crcOf(part(1)) },
      SHA_UPLOAD,
      error(
        "InvalidChecksum",
        "this upload was created with SHA256: send x-amz-checksum-sha256 with each part's checksum, not x-amz-checksum-crc64nvme",
      ),
      ["check big.bin U1"],
    ],
  ];
  for (const [what, query, headers, upload, body, calls] of partRefusals) {
    it(`part URLs: ${what} is 400, nothing signed`, async () => {
      const out = await call("GET", "/big.bin", { query, headers }, recordingStore([], "U1", upload));
      expect([out.status, out.body, out.calls]).to.deep.equal([400, body, calls]);
    });
  }

  it("part URLs of a store that requires checksums: none is 400 ChecksumRequired before S3 is asked", async () => {
    const out = await call("PUT", "/big.bin", { query: "partNumber=1&uploadId=U1", config: REQUIRED });
    expect([out.status, out.body.error.code, out.calls]).to.deep.equal([400, "ChecksumRequired", []]);
  });

  it("the completion passes the parts' checksums and the whole object's, and answers the object's checksum", async () => {
    const p1 = new Crc64Nvme().update(Buffer.alloc(5 * 1024 * 1024, 1));
    const p2 = new Crc64Nvme().update(part(2));
    const whole = crc64ToBase64(combineCrc64(p1.value(), p2.value(), 100));
    const store = recordingStore(
      [
        { partNumber: 1, etag: '"e1"', size: 5 * 1024 * 1024, checksum: p1.digest() },
        { partNumber: 2, etag: '"e2"', size: 100, checksum: p2.digest() },
      ],
      "U1",
      { ...CRC_UPLOAD, completed: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: whole } },
    );
    const body = JSON.stringify({
      parts: [
        { partNumber: 1, etag: '"e1"', checksum: p1.digest() },
        { partNumber: 2, etag: '"e2"', checksum: p2.digest() },
      ],
    });
    const out = await call(
      "POST",
      "/big.bin",
      { query: "uploadId=U1", body, headers: { "x-amz-checksum-crc64nvme": whole } },
      store,
    );
    expect([out.status, out.body]).to.deep.equal([
      200,
      {
        key: "big.bin",
        etag: '"abc-2"',
        size: 5 * 1024 * 1024 + 100,
        location: "https://abc123.lambda-url.eu-west-1.on.aws/big.bin",
        checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: whole },
      },
    ]);
    expect(store.calls[1]).to.equal(
      `complete big.bin U1 [{"partNumber":1,"etag":"\\"e1\\"","checksum":"${p1.digest()}"},{"partNumber":2,"etag":"\\"e2\\"","checksum":"${p2.digest()}"}] ` +
        `{"createOnly":false,"size":5242980,"checksum":{"algorithm":"CRC64NVME","type":"FULL_OBJECT"},"whole":{"algorithm":"CRC64NVME","value":"${whole}"}}`,
    );
  });

  const completionRefusals: Array<
    [string, RecordingOptions, unknown, Record<string, string>, ReturnType<typeof error>]
  > = [
    [
      "a COMPOSITE upload's part without its checksum",
      SHA_UPLOAD,
      [{ partNumber: 1, etag: '"e1"' }],
      {},
      error("InvalidChecksum", "parts[0].checksum is required: this upload was created with SHA256"),
    ],
    [
      "a whole-object checksum of another algorithm",
      CRC_UPLOAD,
      [{ partNumber: 1, etag: '"e1"' }],
      { "x-amz-checksum-sha256": sha256Of(part(1)) },
      error(
        "InvalidChecksum",
        "this upload was created with CRC64NVME: send x-amz-checksum-crc64nvme, not x-amz-checksum-sha256",
      ),
    ],
  ];
  for (const [what, upload, parts, headers, body] of completionRefusals) {
    it(`the completion: ${what} is 400 InvalidChecksum, nothing completed`, async () => {
      const store = recordingStore([{ partNumber: 1, etag: '"e1"', size: 100 }], "U1", upload);
      const out = await call(
        "POST",
        "/big.bin",
        { query: "uploadId=U1", body: JSON.stringify({ parts }), headers },
        store,
      );
      expect([out.status, out.body, out.calls]).to.deep.equal([400, body, ["list big.bin U1"]]);
    });
  }

  it("an upload the storage names no algorithm for completes without the checksums, which S3 would refuse or ignore", async () => {
    const store = recordingStore([{ partNumber: 1, etag: '"e1"', size: 100 }], "U1");
    const body = JSON.stringify({ parts: [{ partNumber: 1, etag: '"e1"', checksum: crcOf(part(1)) }] });
    const out = await call(
      "POST",
      "/big.bin",
      { query: "uploadId=U1", body, headers: { "x-amz-checksum-crc64nvme": crcOf(part(1)) } },
      store,
    );
    expect([out.status, out.body.checksum]).to.deep.equal([200, undefined]);
    expect(store.calls).to.deep.equal([
      "list big.bin U1",
      'complete big.bin U1 [{"partNumber":1,"etag":"\\"e1\\""}] {"createOnly":false,"size":100}',
    ]);
  });

  it("GET ?uploadId lists the upload's algorithm and type, and each part's checksum", async () => {
    const store = recordingStore(
      [{ partNumber: 1, etag: '"e1"', size: 100, checksum: crcOf(part(1)) }],
      "U1",
      CRC_UPLOAD,
    );
    const out = await call("GET", "/big.bin", { query: "uploadId=U1" }, store);
    expect(out.body).to.deep.equal({
      uploadId: "U1",
      key: "big.bin",
      checksumAlgorithm: "CRC64NVME",
      checksumType: "FULL_OBJECT",
      parts: [{ partNumber: 1, etag: '"e1"', size: 100, checksum: crcOf(part(1)) }],
    });
  });
});
