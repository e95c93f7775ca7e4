import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Api } from "../../../client/api";
import { PermanentError, type RetryOptions, TransientError, withRetry } from "../../../client/retry";
import { downloadFile } from "../../../client/transfer/download";
import { uploadFile } from "../../../client/transfer/upload";
import { Crc64Nvme } from "../../../functions/api/checksums";

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");
const crcOf = (b: Buffer) => new Crc64Nvme().update(b).digest();
const FAST_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void) {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, res, Buffer.concat(chunks)));
    req.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

describe("withRetry", () => {
  it("retries transient failures with jittered, growing, capped delays, then gives up", async () => {
    const delays: number[] = [];
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw new TransientError("503");
      },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 300, sleep: async (ms) => void delays.push(ms) },
    );
    await failing.then(
      () => expect.fail("should have thrown"),
      (error: unknown) => expect(error).to.be.instanceOf(TransientError),
    );
    expect(calls).to.equal(5);
    expect(delays).to.have.length(4);
    [100, 200, 300, 300].forEach((ceiling, i) => {
      expect(delays[i]).to.be.at.least(0).and.below(ceiling);
    });
  });

  it("does not retry a permanent failure", async () => {
    let calls = 0;
    await withRetry(async () => {
      calls++;
      throw new PermanentError("403", 403);
    }, FAST_RETRY).catch(() => undefined);
    expect(calls).to.equal(1);
  });
});

describe("uploads and downloads through flaky servers", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sfs-transfers-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("retries parts on 500, 503, a dropped connection and BadDigest, and completes with the right bytes", async () => {
    const file = join(dir, "parts.bin");
    const bytes = randomBytes(5 * 5 * MiB + 123);
    writeFileSync(file, bytes);
    const stored = new Map<number, Buffer>();
    const attempts = new Map<number, number>();
    const signRequests: string[] = [];
    const storage = await serve((req, res, body) => {
      const partNumber = Number(new URL(req.url ?? "", "http://x").searchParams.get("partNumber"));
      const attempt = (attempts.get(partNumber) ?? 0) + 1;
      attempts.set(partNumber, attempt);
      if (attempt === 1 && partNumber === 2)
        return void res.writeHead(500).end("<Error><Code>InternalError</Code></Error>");
      if (attempt === 1 && partNumber === 3)
        return void res.writeHead(503).end("<Error><Code>SlowDown</Code></Error>");
      if (attempt === 1 && partNumber === 4) return void req.socket.destroy();
      // The bytes were damaged on the way: storage's CRC of what arrived is not the one signed.
      if (attempt === 1 && partNumber === 5)
        return void res.writeHead(400).end("<Error><Code>BadDigest</Code></Error>");
      stored.set(partNumber, body);
      res.writeHead(200, { etag: `"${md5(body)}"` }).end();
    });
    const api = await serve((req, res, body) => {
      const url = new URL(req.url ?? "", "http://x");
      if (req.method === "POST" && url.searchParams.has("uploads")) {
        return json(res, 200, { uploadId: "U1", key: "k", partSize: 5 * MiB, maxParts: 10000 });
      }
      const parts = url.searchParams.get("parts");
      if (req.method === "GET" && parts) {
        signRequests.push(parts);
        const [first, last] = parts.split("-").map(Number) as [number, number];
        const list = [];
        for (let n = first; n <= last; n++)
          list.push({ partNumber: n, url: `${storage.url}/k?partNumber=${n}`, headers: {} });
        return json(res, 200, { parts: list, expiresAt: new Date(Date.now() + 300_000).toISOString() });
      }
      if (req.method === "POST" && url.searchParams.get("uploadId") === "U1") {
        const { parts: done } = JSON.parse(body.toString()) as {
          parts: Array<{ partNumber: number; etag: string }>;
        };
        const size = done.reduce((sum, p) => sum + (stored.get(p.partNumber)?.length ?? 0), 0);
        return json(res, 200, { key: "k", etag: '"x-6"', size });
      }
      json(res, 400, { error: { code: "Unexpected", message: `${req.method} ${req.url}` } });
    });
    try {
      const result = await uploadFile(new Api(api.url, { kind: "none" }, FAST_RETRY), file, "k", {
        multipartThreshold: 1,
        concurrency: 6,
        stateDir: join(dir, "state"),
        retry: FAST_RETRY,
      });
      expect(result).to.include({ size: bytes.length, parts: 6, resumedParts: 0 });
      expect(result.checksum).to.deep.equal({
        algorithm: "CRC64NVME",
        type: "FULL_OBJECT",
        value: crcOf(bytes),
      });
      expect(Object.fromEntries(attempts)).to.deep.equal({ 1: 1, 2: 2, 3: 2, 4: 2, 5: 2, 6: 1 });
      expect(
        Buffer.concat([1, 2, 3, 4, 5, 6].map((n) => stored.get(n) ?? Buffer.alloc(0))).equals(bytes),
      ).to.equal(true);
      // A batch per three parts read (half the concurrency), then a fresh URL of its own for each retried part.
      expect(signRequests[0]).to.equal("1-3");
      expect([...signRequests].sort()).to.deep.equal(["1-3", "2-2", "3-3", "4-4", "4-6", "5-5"]);
    } finally {
      await api.close();
      await storage.close();
    }
  });

  it("stops at once on a 403 that is not an expiry, and keeps the upload resumable", async () => {
    const file = join(dir, "denied.bin");
    writeFileSync(file, randomBytes(6 * MiB));
    let puts = 0;
    const storage = await serve((_req, res) => {
      puts++;
      res.writeHead(403).end("<Error><Code>SignatureDoesNotMatch</Code></Error>");
    });
    const api = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      if (url.searchParams.has("uploads"))
        return json(res, 200, { uploadId: "U2", key: "k", partSize: 5 * MiB, maxParts: 10000 });
      json(res, 200, {
        parts: [1, 2].map((n) => ({ partNumber: n, url: `${storage.url}/k?partNumber=${n}`, headers: {} })),
        expiresAt: new Date(Date.now() + 300_000).toISOString(),
      });
    });
    try {
      const upload = uploadFile(new Api(api.url, { kind: "none" }, FAST_RETRY), file, "k", {
        multipartThreshold: 1,
        concurrency: 1,
        stateDir: join(dir, "state-denied"),
        retry: FAST_RETRY,
      });
      await upload.then(
        () => expect.fail("should have failed"),
        (error: unknown) =>
          expect((error as Error).message).to.equal("403 SignatureDoesNotMatch from storage"),
      );
      expect(puts).to.equal(1);
      expect(
        readFileSync(
          join(
            dir,
            "state-denied",
            (await import("node:fs")).readdirSync(join(dir, "state-denied"))[0] ?? "",
          ),
          "utf8",
        ),
      ).to.include('"uploadId":"U2"');
    } finally {
      await api.close();
      await storage.close();
    }
  });

  it("resumes a download cut off mid-body with a Range request, of the same version, and checks the whole against the store's CRC64NVME", async () => {
    const bytes = randomBytes(3 * MiB);
    const ranges: Array<string | undefined> = [];
    let first = true;
    const cdn = await serve((req, res) => {
      ranges.push(req.headers.range);
      const headers = { etag: '"e1"' };
      if (req.headers.range) {
        const start = Number(/bytes=(\d+)-/.exec(req.headers.range)?.[1]);
        res.writeHead(206, {
          ...headers,
          "content-length": bytes.length - start,
          "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}`,
        });
        return void res.end(bytes.subarray(start));
      }
      res.writeHead(200, { ...headers, "content-length": bytes.length });
      if (first) {
        first = false;
        res.write(bytes.subarray(0, MiB), () => res.socket?.destroy());
        return;
      }
      res.end(bytes);
    });
    const checksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: crcOf(bytes) };
    const asked: string[] = [];
    const api = await serve((req, res) => {
      asked.push(req.url ?? "");
      const object = { key: "k", size: bytes.length, etag: '"e1"', versionId: "V1", checksum };
      json(res, 200, { method: "GET", url: `${cdn.url}/k`, headers: {}, expiresAt: "", object });
    });
    try {
      const dest = join(dir, "download.bin");
      const result = await downloadFile(new Api(api.url, { kind: "none" }, FAST_RETRY), "k", dest, {
        retry: FAST_RETRY,
      });
      expect(result).to.deep.equal({
        key: "k",
        size: bytes.length,
        versionId: "V1",
        checksum,
        verified: true,
      });
      expect(asked).to.deep.equal(["/k", "/k?versionId=V1"]);
      expect(readFileSync(dest).equals(bytes)).to.equal(true);
      expect(ranges).to.have.length(2);
      expect(ranges[0]).to.equal(undefined);
      expect(ranges[1]).to.match(/^bytes=\d+-$/);
      expect(Number(/\d+/.exec(ranges[1] ?? "")?.[0]))
        .to.be.at.least(1)
        .and.at.most(MiB);
    } finally {
      await api.close();
      await cdn.close();
    }
  });

  it("refuses bytes whose CRC64NVME differs from the store's checksum, naming both, leaving no file", async () => {
    const bytes = randomBytes(1000);
    const cdn = await serve((_req, res) => {
      res.writeHead(200, { "content-length": bytes.length }).end(bytes);
    });
    const stored = crcOf(Buffer.from("other bytes"));
    const api = await serve((_req, res) => {
      const checksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: stored };
      const object = { key: "k", size: bytes.length, etag: '"e1"', checksum };
      json(res, 200, { method: "GET", url: `${cdn.url}/k`, headers: {}, expiresAt: "", object });
    });
    try {
      const dest = join(dir, "corrupt.bin");
      await downloadFile(new Api(api.url, { kind: "none" }, FAST_RETRY), "k", dest, {
        retry: FAST_RETRY,
      }).then(
        () => expect.fail("should have failed"),
        (error: unknown) =>
          expect((error as Error).message).to.equal(
            `k: the downloaded bytes have CRC64NVME ${crcOf(bytes)}, but the store's checksum is ${stored}; the download was discarded`,
          ),
      );
      const { existsSync } = await import("node:fs");
      expect(existsSync(dest)).to.equal(false);
      expect(existsSync(`${dest}.partial`)).to.equal(false);
    } finally {
      await api.close();
      await cdn.close();
    }
  });
});
