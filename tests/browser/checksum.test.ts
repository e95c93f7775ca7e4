import { createHash, randomBytes } from "node:crypto";
import { Crc64Nvme as SdkCrc64Nvme } from "@aws-sdk/crc64-nvme";
import { expect } from "chai";
import { crcOfBlob, ReadCheck, readWithCrc } from "../../browser/checksum";
import { crc64ToBase64, type ObjectChecksum } from "../../functions/api/checksums";

/** The AWS SDK's own CRC64NVME, written apart from the one under test. */
async function sdkCrc(bytes: Uint8Array): Promise<string> {
  const crc = new SdkCrc64Nvme();
  crc.update(bytes);
  return Buffer.from(await crc.digest()).toString("base64");
}

describe("browser SDK: the CRC64NVME of what it sends, and the check of what it reads", () => {
  it("readWithCrc gives a blob's bytes and their CRC; crcOfBlob the same over 8 MiB slices", async () => {
    const data = randomBytes(17 * 1024 * 1024 + 3);
    const read = await readWithCrc(new Blob([data]));
    expect(Buffer.from(read.bytes).equals(data)).to.equal(true);
    expect(crc64ToBase64(read.crc)).to.equal(await sdkCrc(data));
    expect(crc64ToBase64(await crcOfBlob(new Blob([data])))).to.equal(await sdkCrc(data));
    const controller = new AbortController();
    controller.abort(new Error("paused"));
    const stopped = await crcOfBlob(new Blob([data]), controller.signal).catch((e: Error) => e.message);
    expect(stopped).to.equal("paused");
  });

  const feed = (check: ReadCheck, data: Uint8Array) => {
    for (let i = 0; i < data.length; i += 333) check.update(data.subarray(i, i + 333));
    return check;
  };

  it("a FULL_OBJECT CRC64NVME or SHA-256 is compared whole, fed in pieces; a mismatch names both values", async () => {
    const data = randomBytes(100_000);
    const crc: ObjectChecksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: await sdkCrc(data) };
    expect(feed(new ReadCheck("k", crc), data).finish()).to.deep.equal({ verified: true });
    const sha: ObjectChecksum = {
      algorithm: "SHA256",
      type: "FULL_OBJECT",
      value: createHash("sha256").update(data).digest("base64"),
    };
    expect(feed(new ReadCheck("k", sha), data).finish()).to.deep.equal({ verified: true });

    const other = randomBytes(100_000);
    const refused = (checksum: ObjectChecksum) => {
      try {
        feed(new ReadCheck("dir/k.bin", checksum), other).finish();
        return "verified";
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    };
    expect(refused(crc)).to.equal(
      `ChecksumMismatch: dir/k.bin: the downloaded bytes have CRC64NVME ${await sdkCrc(other)}, but the store's checksum is ${crc.value}`,
    );
    expect(refused(sha)).to.equal(
      `ChecksumMismatch: dir/k.bin: the downloaded bytes have SHA256 ${createHash("sha256").update(other).digest("base64")}, but the store's checksum is ${sha.value}`,
    );
  });

  it("a COMPOSITE checksum, no checksum, or verify: false leave the bytes unverified and say why", () => {
    const composite: ObjectChecksum = { algorithm: "SHA256", type: "COMPOSITE", value: "AAAA-3" };
    expect(new ReadCheck("k", composite).finish()).to.deep.equal({
      verified: false,
      note: "its checksum is COMPOSITE, which a download cannot recompute",
    });
    expect(new ReadCheck("k", undefined).finish()).to.deep.equal({
      verified: false,
      note: "the store reported no checksum for this object",
    });
    expect(new ReadCheck("k", composite, "verify: false was given").finish()).to.deep.equal({
      verified: false,
      note: "verify: false was given",
    });
  });
});
