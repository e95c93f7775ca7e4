import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { BadRequest, ServiceUnavailable } from "../../../functions/api/http-error";
import { s3ObjectLookup } from "../../../functions/s3/objects";
import { S3Presigner } from "../../../functions/signers/s3-presigner";
import { verifyPresigned } from "../../../local/sigv4";
import { CREDENTIALS, NOW } from "../../support/handler-harness";

interface Answer {
  status: number;
  headers?: Record<string, string>;
}

/** An S3 stand-in on 127.0.0.1 that records each request and answers from a script. */
async function fakeS3(answer: (req: IncomingMessage) => Answer) {
  const requests: Array<{ method: string; url: string; verified: boolean; signed: string[] }> = [];
  const received: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const verdict = verifyPresigned(
      {
        method: req.method ?? "",
        rawPath: url.slice(0, q),
        rawQuery: url.slice(q + 1),
        headers: req.headers,
      },
      (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined),
      NOW,
    );
    received.push(req.headers);
    requests.push({
      method: req.method ?? "",
      url,
      verified: verdict.ok,
      signed: verdict.ok ? [...verdict.signedHeaders] : [],
    });
    const { status, headers = {} } = answer(req);
    res.writeHead(status, headers).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const presigner = new S3Presigner(
    { bucket: "files", region: "eu-west-1", endpoint },
    async () => CREDENTIALS,
  );
  return {
    lookup: s3ObjectLookup(presigner, () => NOW),
    requests,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("s3ObjectLookup: HeadObject as a presigned HEAD", () => {
  it("reads the metadata S3 sends, checksum included, from a signed HEAD of exactly that key and version that asks for the checksum", async () => {
    const s3 = await fakeS3(() => ({
      status: 200,
      headers: {
        "content-length": "1048576",
        etag: '"d41d8cd98f00b204e9800998ecf8427e-2"',
        "x-amz-version-id": "3/L4kqtJl40Nr8X8gdRQBpUMLUo",
        "content-type": "image/png",
        "last-modified": "Sun, 22 Nov 2026 09:00:00 GMT",
        // x-amz-meta-sha256 was a client's unchecked claim: no longer read.
        "x-amz-meta-sha256": "ab".repeat(32),
        "content-disposition": 'attachment; filename="cat.png"',
        "x-amz-checksum-crc64nvme": "rosUhgp5mIg=",
        "x-amz-checksum-type": "FULL_OBJECT",
      },
    }));
    try {
      const info = await s3.lookup.head("photos/a cat+1.png", "3/L4kqtJl40Nr8X8gdRQBpUMLUo");
      expect(info).to.deep.equal({
        key: "photos/a cat+1.png",
        size: 1_048_576,
        etag: '"d41d8cd98f00b204e9800998ecf8427e-2"',
        versionId: "3/L4kqtJl40Nr8X8gdRQBpUMLUo",
        contentType: "image/png",
        lastModified: "2026-11-22T09:00:00.000Z",
        contentDisposition: 'attachment; filename="cat.png"',
        checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "rosUhgp5mIg=" },
      });
      expect(s3.requests).to.have.length(1);
      expect(s3.requests[0]?.method).to.equal("HEAD");
      expect(s3.requests[0]?.verified).to.equal(true);
      // HeadObject returns the checksum only with x-amz-checksum-mode: ENABLED, which is signed.
      expect(s3.requests[0]?.signed).to.deep.equal(["host", "x-amz-checksum-mode"]);
      expect(s3.received[0]?.["x-amz-checksum-mode"]).to.equal("ENABLED");
      expect(
        s3.requests[0]?.url.startsWith(
          "/files/photos/a%20cat%2B1.png?versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo&",
        ),
      ).to.equal(true);
    } finally {
      await s3.close();
    }
  });

  const versionless: Array<[string, Record<string, string>]> = [
    ["no x-amz-version-id (never versioned)", {}],
    ['x-amz-version-id "null" (versioning suspended)', { "x-amz-version-id": "null" }],
  ];
  for (const [name, headers] of versionless) {
    it(`${name}: no versionId, so the read pins the ETag`, async () => {
      const s3 = await fakeS3(() => ({
        status: 200,
        headers: { "content-length": "0", etag: '"e"', ...headers },
      }));
      try {
        expect(await s3.lookup.head("k")).to.deep.equal({ key: "k", size: 0, etag: '"e"' });
      } finally {
        await s3.close();
      }
    });
  }

  const checksums: Array<[string, Record<string, string>, unknown]> = [
    [
      "a COMPOSITE SHA-256, its type named",
      {
        "x-amz-checksum-sha256": "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3",
        "x-amz-checksum-type": "COMPOSITE",
      },
      { algorithm: "SHA256", type: "COMPOSITE", value: "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3" },
    ],
    [
      "a CRC64NVME without a type (always FULL_OBJECT)",
      { "x-amz-checksum-crc64nvme": "rosUhgp5mIg=" },
      { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "rosUhgp5mIg=" },
    ],
    [
      "only another algorithm's (CRC32): none this store names",
      { "x-amz-checksum-crc32": "y/Q5Jg==" },
      undefined,
    ],
  ];
  for (const [name, headers, expected] of checksums) {
    it(`checksum headers: ${name}`, async () => {
      const s3 = await fakeS3(() => ({
        status: 200,
        headers: { "content-length": "9", etag: '"e"', ...headers },
      }));
      try {
        expect((await s3.lookup.head("k"))?.checksum).to.deep.equal(expected);
      } finally {
        await s3.close();
      }
    });
  }

  const answers: Array<[string, number, string | undefined, unknown]> = [
    ["missing key or current delete marker", 404, undefined, undefined],
    ["a version that is a delete marker", 405, "v1", undefined],
  ];
  for (const [name, status, versionId, expected] of answers) {
    it(`${status} (${name}) is no object`, async () => {
      const s3 = await fakeS3(() => ({ status }));
      try {
        expect(await s3.lookup.head("k", versionId)).to.equal(expected);
      } finally {
        await s3.close();
      }
    });
  }

  it("400 for a named version is the caller's InvalidVersionId", async () => {
    const s3 = await fakeS3(() => ({ status: 400 }));
    try {
      const error = await s3.lookup.head("k", "not-a-version").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(BadRequest);
      expect((error as BadRequest).code).to.equal("InvalidVersionId");
    } finally {
      await s3.close();
    }
  });

  for (const status of [500, 503]) {
    it(`${status} from S3 is a 503 to the caller`, async () => {
      const s3 = await fakeS3(() => ({ status }));
      try {
        const error = await s3.lookup.head("k").catch((e: unknown) => e);
        expect(error).to.be.instanceOf(ServiceUnavailable);
      } finally {
        await s3.close();
      }
    });
  }

  it("403 (a policy that lacks s3:GetObject or s3:ListBucket) is an internal error, not a 404", async () => {
    const s3 = await fakeS3(() => ({ status: 403 }));
    try {
      const error = await s3.lookup.head("k").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(Error);
      expect(error).not.to.be.instanceOf(ServiceUnavailable);
      expect((error as Error).message).to.equal("HeadObject answered 403 for a read lookup");
    } finally {
      await s3.close();
    }
  });

  it("an unreachable S3 is a 503", async () => {
    const s3 = await fakeS3(() => ({ status: 200 }));
    await s3.close();
    const error = await s3.lookup.head("k").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ServiceUnavailable);
    expect((error as ServiceUnavailable).message).to.equal(
      "the object store could not be reached; try again shortly",
    );
  });
});
