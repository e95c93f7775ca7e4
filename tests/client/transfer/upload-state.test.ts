import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { choosePartSize } from "../../../client/transfer/multipart";
import { type UploadState, writeState } from "../../../client/transfer/upload-state";

describe("the saved state of an upload", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-state-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const state = (n: number): UploadState => ({
    apiUrl: "http://127.0.0.1:3000",
    key: "big/file.bin",
    file: "/data/file.bin",
    size: 1024 ** 3,
    mtimeMs: 1795341600000,
    checksumAlgorithm: "CRC64NVME",
    uploadId: `upload-${n}-${"x".repeat(4000)}`,
    partSize: 8 * 1024 ** 2,
  });

  it("is never seen half-written, and leaves only the state file behind", async () => {
    const file = path.join(dir, "nested", "s.json");
    await writeState(file, state(0));
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const text = readFileSync(file, "utf8");
        expect(() => JSON.parse(text), `read ${reads}: ${text.length} characters`).to.not.throw();
        reads += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let n = 1; n <= 300; n++) await writeState(file, state(n));
    writing = false;
    await reader;
    expect(reads).to.be.above(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).to.deep.equal(state(300));
    expect(readdirSync(path.dirname(file))).to.deep.equal(["s.json"]);
  });

  it("a new upload's parts: the caller's size, else the API's offer, raised for a large file to about 64 parts of at most 16 MiB", () => {
    const MiB = 1024 ** 2;
    expect(choosePartSize(8 * MiB, 100 * MiB)).to.equal(8 * MiB);
    expect(choosePartSize(8 * MiB, 700 * MiB)).to.equal(11 * MiB);
    expect(choosePartSize(8 * MiB, 1024 * MiB)).to.equal(16 * MiB);
    expect(choosePartSize(8 * MiB, 100 * 1024 * MiB)).to.equal(16 * MiB);
    expect(choosePartSize(64 * MiB, 1024 * MiB)).to.equal(64 * MiB);
    expect(choosePartSize(8 * MiB, 1024 * MiB, 5 * MiB)).to.equal(5 * MiB);
  });
});
