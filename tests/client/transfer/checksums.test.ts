import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Api } from "../../../client/api";
import type { RetryOptions } from "../../../client/retry";
import { downloadFile } from "../../../client/transfer/download";
import { uploadFile } from "../../../client/transfer/upload";
import { type ContractStore, contractStore, crcOf } from "../contract-store";

const MiB = 1024 * 1024;
const FAST_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const CRC = "x-amz-checksum-crc64nvme";

describe("checksums on every write and read (CONTRACTS.md §1), against a store that checks them", function () {
  this.timeout(180_000);
  let dir: string;
  let store: ContractStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-checksums-"));
    store = await contractStore();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = () => new Api(store.api.url, { kind: "none" }, FAST_RETRY);
  const file = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const upload = (
    path: string,
    key: string,
    extra: { concurrency?: number; multipartThreshold?: number } = {},
  ) =>
    uploadFile(api(), path, key, {
      multipartThreshold: extra.multipartThreshold ?? 1,
      concurrency: extra.concurrency ?? 2,
      stateDir: join(dir, "state"),
      retry: FAST_RETRY,
    });
  const apiCalls = () => store.api.requests.map((r) => `${r.method} ${r.target}`);

  it("a single PUT asks the API with the file's CRC64NVME, sends it as signed, and no SHA-256 goes anywhere", async () => {
    const bytes = randomBytes(3 * MiB + 7);
    const result = await upload(file("one.bin", bytes), "docs/one.bin", { multipartThreshold: 16 * MiB });
    const checksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: crcOf(bytes) };
    expect(result).to.deep.equal({
      key: "docs/one.bin",
      size: bytes.length,
      etag: result.etag,
      checksum,
      parts: 1,
      resumedParts: 0,
    });
    expect(apiCalls()).to.deep.equal(["PUT /docs/one.bin"]);
    expect(store.api.requests[0]?.headers[CRC]).to.equal(crcOf(bytes));
    expect(store.storage.requests.map((r) => r.headers[CRC])).to.deep.equal([crcOf(bytes)]);
    expect(store.objects.get("docs/one.bin")?.[0]?.body.equals(bytes)).to.equal(true);
    for (const r of [...store.api.requests, ...store.storage.requests]) {
      expect(Object.keys(r.headers).filter((h) => /sha256/.test(h))).to.deep.equal([]);
    }
  });

  it("multipart: created with CRC64NVME, parts signed a batch (half the concurrency) at a time with their CRCs, completed with every part's CRC and the whole's", async () => {
    const bytes = randomBytes(5 * 5 * MiB + 123);
    const result = await upload(file("parts.bin", bytes), "big/parts.bin", { concurrency: 4 });
    expect(result).to.include({ size: bytes.length, parts: 6, resumedParts: 0 });
    expect(result.checksum.value).to.equal(crcOf(bytes));
    const calls = store.api.requests;
    const [create] = calls;
    expect(`${create?.method} ${create?.target}`).to.equal("POST /big/parts.bin?uploads");
    expect(create?.headers["x-amz-checksum-algorithm"]).to.equal("CRC64NVME");
    const partCrc = (n: number) => crcOf(bytes.subarray((n - 1) * 5 * MiB, n * 5 * MiB));
    const signing = calls.filter((r) => r.target.includes("parts="));
    expect(
      signing.map((r) => [new URL(r.target, "http://a").searchParams.get("parts"), r.headers[CRC]]),
    ).to.deep.equal([
      ["1-2", `${partCrc(1)},${partCrc(2)}`],
      ["3-4", `${partCrc(3)},${partCrc(4)}`],
      ["5-6", `${partCrc(5)},${partCrc(6)}`],
    ]);
    const completion = calls.at(-1);
    expect(completion?.headers[CRC]).to.equal(crcOf(bytes));
    expect(
      JSON.parse(completion?.body.toString() ?? "").parts.map((p: { checksum: string }) => p.checksum),
    ).to.deep.equal([1, 2, 3, 4, 5, 6].map(partCrc));
    expect(store.storage.requests.map((r) => r.headers[CRC]).sort()).to.deep.equal(
      [1, 2, 3, 4, 5, 6].map(partCrc).sort(),
    );
    expect(store.objects.get("big/parts.bin")?.[0]?.checksum.value).to.equal(crcOf(bytes));
  });

  it("the first part is on the wire before the file has been read to its end: no whole-file pass first", async () => {
    const size = 12 * 5 * MiB;
    const path = file("stream.bin", randomBytes(size));
    // Every read of the file, as it happens: FileHandle.read is where both readers of the client go.
    const handle: FileHandle = await open(path, "r");
    const proto = Object.getPrototypeOf(handle) as { read: FileHandle["read"] };
    await handle.close();
    const original = proto.read;
    let readUpTo = 0;
    proto.read = function (this: FileHandle, ...args: unknown[]) {
      const [, , length, position] = args as [Buffer, number, number, number];
      readUpTo = Math.max(readUpTo, position + length);
      return (original as (...a: unknown[]) => ReturnType<FileHandle["read"]>).apply(this, args);
    } as FileHandle["read"];
    let readWhenFirstPutArrived = -1;
    store.intercept = (req) => {
      if (req.method === "PUT" && readWhenFirstPutArrived < 0) readWhenFirstPutArrived = readUpTo;
      return false;
    };
    try {
      const result = await upload(path, "big/stream.bin", { concurrency: 2 });
      expect(result.parts).to.equal(12);
    } finally {
      proto.read = original;
    }
    // The reader holds at most the pool's parts (2 sending, a batch of 1 more) before one is stored,
    // whatever the timing.
    expect(readWhenFirstPutArrived)
      .to.be.above(0)
      .and.at.most(3 * 5 * MiB);
    expect(readWhenFirstPutArrived).to.be.below(size);
  });

  it("a part damaged on the way is refused by storage (BadDigest), sent again, and never stored wrong", async () => {
    const bytes = randomBytes(3 * 5 * MiB);
    let damaged = 0;
    store.intercept = (req) => {
      if (req.target.includes("partNumber=2") && damaged++ === 0) req.body[1000] = (req.body[1000] ?? 0) ^ 1;
      return false;
    };
    const result = await upload(file("damaged.bin", bytes), "big/damaged.bin");
    expect(result.parts).to.equal(3);
    expect(damaged).to.equal(2);
    expect(store.objects.get("big/damaged.bin")?.[0]?.body.equals(bytes)).to.equal(true);
  });

  it("an expired part URL is signed again on its own, with the same checksum", async () => {
    const bytes = randomBytes(3 * 5 * MiB);
    let expired = false;
    store.intercept = (req, res) => {
      if (!req.target.includes("partNumber=3") || expired) return false;
      expired = true;
      res
        .writeHead(403)
        .end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      return true;
    };
    await upload(file("expired.bin", bytes), "big/expired.bin", { concurrency: 6 });
    expect(store.api.requests.filter((r) => r.target.includes("parts=1-3"))).to.have.length(1);
    const resigned = store.api.requests.filter((r) => r.target.includes("parts=3-3"));
    expect(resigned.map((r) => r.headers[CRC])).to.deep.equal([crcOf(bytes.subarray(10 * MiB))]);
  });

  it("a resumed upload completes with the stored parts' CRCs, read again from the file, and the whole's", async () => {
    const bytes = randomBytes(4 * 5 * MiB + 99);
    const path = file("resumed.bin", bytes);
    let refuse = true;
    store.intercept = (req, res) => {
      if (!refuse || !req.target.includes("partNumber=4")) return false;
      res.writeHead(403).end("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
      return true;
    };
    const first = await upload(path, "big/resumed.bin", { concurrency: 1 }).catch((e: Error) => e);
    expect((first as Error).message).to.equal("403 AccessDenied from storage");
    refuse = false;
    const again = await upload(path, "big/resumed.bin", { concurrency: 1 });
    expect(again).to.include({ parts: 5, resumedParts: 3 });
    const completion = store.api.requests.at(-1);
    expect(completion?.headers[CRC]).to.equal(crcOf(bytes));
    expect(store.objects.get("big/resumed.bin")?.[0]?.body.equals(bytes)).to.equal(true);
  });

  it("a part refused for good stops the reader and every sender at once: no part is sent after it", async () => {
    const path = file("refused.bin", randomBytes(12 * 5 * MiB));
    store.intercept = (req, res) => {
      if (!req.target.includes("partNumber=2")) return false;
      res.writeHead(403).end("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
      return true;
    };
    const error = await upload(path, "big/refused.bin", { concurrency: 2 }).catch((e: Error) => e);
    expect((error as Error).message).to.equal("403 AccessDenied from storage");
    const puts = store.storage.requests.map((r) =>
      Number(new URL(r.target, "http://s").searchParams.get("partNumber")),
    );
    // Part 2 is never tried again, and the parts after it stop: what was already read (at most two
    // batches) may have gone out before the refusal was heard, nothing beyond.
    expect(puts.filter((n) => n === 2)).to.have.length(1);
    expect(Math.max(...puts)).to.be.at.most(6);
  });

  it("a download is checked against the store's checksum: verified when whole, refused naming both values when not", async () => {
    const bytes = randomBytes(2 * MiB);
    await upload(file("read.bin", bytes), "r/read.bin", { multipartThreshold: 16 * MiB });
    const dest = join(dir, "read.back");
    const got = await downloadFile(api(), "r/read.bin", dest, { retry: FAST_RETRY });
    expect(got).to.deep.equal({
      key: "r/read.bin",
      size: bytes.length,
      versionId: "v1",
      checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: crcOf(bytes) },
      verified: true,
    });
    expect(readFileSync(dest).equals(bytes)).to.equal(true);

    // One byte of the stored copy goes bad: the read answer still names the checksum it was written with.
    const stored = store.objects.get("r/read.bin")?.[0]?.body as Buffer;
    stored[12345] = (stored[12345] ?? 0) ^ 0x40;
    const bad = join(dir, "bad.back");
    const error = await downloadFile(api(), "r/read.bin", bad, { retry: FAST_RETRY }).catch((e: Error) => e);
    expect((error as Error).message).to.equal(
      `r/read.bin: the downloaded bytes have CRC64NVME ${crcOf(stored)}, but the store's checksum is ${crcOf(bytes)}; the download was discarded`,
    );
    expect(existsSync(bad)).to.equal(false);
    expect(existsSync(`${bad}.partial`)).to.equal(false);
  });
});
