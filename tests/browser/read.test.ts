import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { expect } from "chai";
import { type FakeServer, fakeServer, sendJson } from "../client/fake-server";
import { awsCrc64 } from "../support/aws-crc";

/** The SDK's read calls, as this test uses them. */
interface Store {
  read(key: string): Promise<{ blob: Blob; verified: boolean }>;
  stream(key: string): Promise<{ stream: ReadableStream<Uint8Array> }>;
}
// Loaded by its path rather than imported: the SDK is typed against the DOM's lib (XMLHttpRequest,
// BlobPart), which this Node test program does not have.
const { SignedFileStore } = require(join(__dirname, "..", "..", "browser", "index.ts")) as {
  SignedFileStore: new (options: { apiUrl: string }) => Store;
};

const MiB = 1024 * 1024;

/**
 * The browser SDK's reads in Node (fetch and web streams are the same API there): a CDN that drops
 * the first connection after `cutAt` bytes, and answers a Range request as `resume` says.
 */
async function servers(bytes: Buffer, cutAt: number, resume: "206" | "200") {
  let first = true;
  const cdn = await fakeServer((req, res) => {
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
    if (range && resume === "206") {
      const start = Number(range[1]);
      res.writeHead(206, { "content-length": bytes.length - start, etag: '"e1"' });
      return void res.end(bytes.subarray(start));
    }
    res.writeHead(200, { "content-length": bytes.length, etag: '"e1"' });
    if (!first) return void res.end(bytes);
    first = false;
    res.write(bytes.subarray(0, cutAt), () => res.socket?.destroy());
  });
  const checksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: await awsCrc64(bytes) };
  const api: FakeServer = await fakeServer((_req, res) =>
    sendJson(res, 200, {
      method: "GET",
      url: `${cdn.url}/k`,
      headers: {},
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
      object: { key: "k", size: bytes.length, etag: '"e1"', versionId: "V1", checksum },
    }),
  );
  return { cdn, api, close: async () => Promise.all([cdn.close(), api.close()]) };
}

describe("browser SDK reads across a dropped connection", function () {
  this.timeout(60_000);

  it("read() resumes with a Range request and If-Range, and checks the whole against the store's checksum", async () => {
    const bytes = randomBytes(3 * MiB);
    const s = await servers(bytes, MiB, "206");
    try {
      const got = await new SignedFileStore({ apiUrl: s.api.url }).read("k");
      expect(got.verified).to.equal(true);
      expect(Buffer.from(await got.blob.arrayBuffer()).equals(bytes)).to.equal(true);
      const asked = s.cdn.requests.map((r) => [r.headers.range, String(r.headers["if-range"] ?? "")]);
      expect(asked).to.have.length(2);
      expect(asked[0]).to.deep.equal([undefined, ""]);
      expect(asked[1]?.[1]).to.equal('"e1"');
      expect(Number(/^bytes=(\d+)-$/.exec(asked[1]?.[0] ?? "")?.[1])).to.be.within(1, MiB);
    } finally {
      await s.close();
    }
  });

  it("stream() resumes the same way; a 200 to the Range request (the object changed) fails the read", async () => {
    const bytes = randomBytes(2 * MiB);
    const resumed = await servers(bytes, 100_000, "206");
    try {
      const { stream } = await new SignedFileStore({ apiUrl: resumed.api.url }).stream("k");
      expect(Buffer.from(await new Response(stream).arrayBuffer()).equals(bytes)).to.equal(true);
    } finally {
      await resumed.close();
    }
    const changed = await servers(bytes, 100_000, "200");
    try {
      const error = await new SignedFileStore({ apiUrl: changed.api.url }).read("k").catch((e: Error) => e);
      expect(`${(error as { code?: string }).code}: ${(error as Error).message}`).to.equal(
        "ObjectChanged: k changed during the download; read it again",
      );
    } finally {
      await changed.close();
    }
  });
});
