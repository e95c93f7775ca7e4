import { createHash, randomBytes } from "node:crypto";
import { Crc64Nvme as SdkCrc64Nvme } from "@aws-sdk/crc64-nvme";
import { expect } from "chai";
import {
  Crc64Nvme,
  combineCrc64,
  crc64FromBase64,
  crc64ToBase64,
  fromBase64,
  isChecksumValue,
  toBase64,
} from "../../../functions/api/checksums";

async function sdkCrc(bytes: Uint8Array): Promise<string> {
  const crc = new SdkCrc64Nvme();
  crc.update(bytes);
  return Buffer.from(await crc.digest()).toString("base64");
}

describe("checksums (functions/api/checksums.ts)", () => {
  it("CRC64NVME of the check string is 0xae8b14860a799888, base64 rosUhgp5mIg=", () => {
    const crc = new Crc64Nvme().update(new TextEncoder().encode("123456789"));
    expect(crc.value()).to.equal(0xae8b14860a799888n);
    expect(crc.digest()).to.equal("rosUhgp5mIg=");
  });

  it("equals the AWS SDK's CRC64NVME for every length around the 8-byte stride, fed in uneven pieces", async () => {
    for (const length of [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 65_537, 1_048_583]) {
      const bytes = randomBytes(length);
      const crc = new Crc64Nvme();
      for (let at = 0, step = 1; at < length; at += step, step = (step * 7) % 13 || 1) {
        crc.update(bytes.subarray(at, Math.min(length, at + step)));
      }
      expect(crc.digest(), `length ${length}`).to.equal(await sdkCrc(bytes));
    }
  });

  it("combines part CRCs into the whole object's, as S3 builds a FULL_OBJECT multipart checksum", async () => {
    const parts = [
      randomBytes(5 * 1024 * 1024),
      randomBytes(5 * 1024 * 1024),
      randomBytes(1234),
      randomBytes(0),
    ];
    let combined = new Crc64Nvme().value();
    let first = true;
    for (const part of parts) {
      const crc = new Crc64Nvme().update(part).value();
      combined = first ? crc : combineCrc64(combined, crc, part.length);
      first = false;
    }
    expect(crc64ToBase64(combined)).to.equal(await sdkCrc(Buffer.concat(parts)));
  });

  it("round-trips base64 and checks each algorithm's value format strictly", () => {
    const bytes = randomBytes(32);
    expect(Buffer.from(fromBase64(toBase64(bytes))).equals(bytes)).to.equal(true);
    expect(toBase64(bytes)).to.equal(bytes.toString("base64"));
    expect(crc64FromBase64("rosUhgp5mIg=")).to.equal(0xae8b14860a799888n);
    const sha = createHash("sha256").update("x").digest("base64");
    expect(isChecksumValue("SHA256", sha)).to.equal(true);
    expect(isChecksumValue("CRC64NVME", "rosUhgp5mIg=")).to.equal(true);
    // rosUhgp5mIh= decodes to the same bytes but sets a padding bit, which S3 refuses.
    for (const bad of [
      "rosUhgp5mIg",
      "rosUhgp5mI==",
      "rosUhgp5mIg=\n",
      "ros+hgp5mIg",
      "rosUhgp5mIh=",
      "",
      sha,
    ]) {
      expect(isChecksumValue("CRC64NVME", bad), JSON.stringify(bad)).to.equal(false);
    }
    expect(isChecksumValue("SHA256", "rosUhgp5mIg=")).to.equal(false);
    expect(isChecksumValue("SHA256", `${sha.slice(0, -1)}A`)).to.equal(false);
  });
});
