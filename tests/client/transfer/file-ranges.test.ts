import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Crc64Nvme as SdkCrc64Nvme } from "@aws-sdk/crc64-nvme";
import { expect } from "chai";
import { checksumRange, readRange } from "../../../client/transfer/file-ranges";
import { crc64ToBase64 } from "../../../functions/api/checksums";

/** The AWS SDK's own CRC64NVME, as S3 computes it: written apart from the one under test. */
async function sdkCrc(bytes: Uint8Array): Promise<string> {
  const crc = new SdkCrc64Nvme();
  crc.update(bytes);
  return Buffer.from(await crc.digest()).toString("base64");
}

describe("reading a byte range of a file with its CRC64NVME", () => {
  const bytes = randomBytes(9 * 1024 * 1024 + 5);
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-ranges-"));
    file = path.join(dir, "data.bin");
    writeFileSync(file, bytes);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ranges: Array<[string, number, number]> = [
    ["the whole file, over five reads", 0, bytes.length],
    ["a range across a read's end", 2 * 1024 * 1024 - 3, 6 * 1024 * 1024 + 5],
    ["one byte", 77, 1],
    ["nothing", 10, 0],
  ];
  for (const [name, start, length] of ranges) {
    it(`readRange of ${name}: exactly those bytes, and the CRC the AWS SDK computes for them`, async () => {
      const handle = await open(file, "r");
      const reads: Array<[number, number]> = [];
      try {
        const got = await readRange(handle, file, start, length, (at, n) => reads.push([at, n]));
        expect(got.bytes.equals(bytes.subarray(start, start + length))).to.equal(true);
        expect(crc64ToBase64(got.crc)).to.equal(await sdkCrc(bytes.subarray(start, start + length)));
        // Every byte read once, in order, in reads of at most 2 MiB.
        let at = start;
        for (const [position, n] of reads) {
          expect(position).to.equal(at);
          expect(n).to.be.at.most(2 * 1024 * 1024);
          at += n;
        }
        expect(at).to.equal(start + length);
      } finally {
        await handle.close();
      }
    });

    it(`checksumRange of ${name}: the same CRC and the MD5 of those bytes, every byte counted once`, async () => {
      let counted = 0;
      const onBytes = (n: number) => {
        counted += n;
      };
      const got = await checksumRange(file, start, length, { md5: true, onBytes });
      const slice = bytes.subarray(start, start + length);
      expect(crc64ToBase64(got.crc)).to.equal(await sdkCrc(slice));
      expect(got.md5).to.equal(createHash("md5").update(slice).digest("hex"));
      expect(counted).to.equal(length);
    });
  }

  it("fails, naming the file and the byte, when the file is shorter than the range", async () => {
    const error = await checksumRange(file, bytes.length - 2, 12).catch((e: Error) => e);
    expect((error as Error).message).to.equal(
      `${file} ended at byte ${bytes.length}, before byte ${bytes.length + 9}`,
    );
    const handle = await open(file, "r");
    try {
      const short = await readRange(handle, file, bytes.length - 2, 12).catch((e: Error) => e);
      expect((short as Error).message).to.equal((error as Error).message);
    } finally {
      await handle.close();
    }
  });
});
