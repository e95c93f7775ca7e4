import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { hashRange } from "../../../client/transfer/file-ranges";

describe("hashing a byte range of a file", () => {
  const bytes = randomBytes(9 * 1024 * 1024 + 5);
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-ranges-"));
    file = path.join(dir, "data.bin");
    writeFileSync(file, bytes);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const digest = (algorithm: string, start: number, end: number) =>
    createHash(algorithm)
      .update(bytes.subarray(start, end + 1))
      .digest("hex");

  const ranges: Array<[string, number, number]> = [
    ["the whole file, over three reads", 0, bytes.length - 1],
    ["a range across a read's end", 4 * 1024 * 1024 - 3, 8 * 1024 * 1024 + 2],
    ["one byte", 77, 77],
    ["nothing (end before start)", 10, 9],
  ];
  for (const [name, start, end] of ranges) {
    for (const algorithm of ["sha256", "md5"] as const) {
      it(`${algorithm} of ${name} is the digest of exactly those bytes, every byte counted once`, async () => {
        let counted = 0;
        const hex = await hashRange(file, start, end, algorithm, (n) => {
          counted += n;
        });
        expect(hex).to.equal(digest(algorithm, start, end));
        expect(counted).to.equal(Math.max(0, end - start + 1));
      });
    }
  }

  it("fails, naming the file and the byte, when the file is shorter than the range", async () => {
    const error = await hashRange(file, bytes.length - 2, bytes.length + 10, "sha256").catch((e: Error) => e);
    expect((error as Error).message).to.equal(
      `${file} ended at byte ${bytes.length}, before byte ${bytes.length + 10}`,
    );
  });
});
