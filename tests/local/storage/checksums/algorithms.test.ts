import { randomBytes } from "node:crypto";
import { Crc32cJs } from "@aws-sdk/checksums/crc";
import { expect } from "chai";
import {
  ALGORITHMS,
  checksumOf,
  combineParts,
  compositeOf,
  hasher,
  isChecksumValue,
} from "../../../../local/storage/checksums/algorithms";
import { crc32c } from "../../../../local/storage/checksums/crc32c";

const CHECK = Buffer.from("123456789");

describe("storage checksums: the five algorithms S3 verifies", () => {
  it("computes each algorithm's published check value for '123456789'", () => {
    expect(Object.fromEntries(ALGORITHMS.map((a) => [a, checksumOf(a, CHECK)]))).to.deep.equal({
      CRC32: "y/Q5Jg==",
      CRC32C: "4waSgw==",
      CRC64NVME: "rosUhgp5mIg=",
      SHA1: "98O8HYCOBHMq32eZZczDTKeuNEE=",
      SHA256: "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
    });
  });

  it("CRC-32C equals the AWS SDK's over random data, whole or fed in uneven pieces", async () => {
    for (let round = 0; round < 20; round += 1) {
      const data = randomBytes(1 + Math.floor(Math.random() * 100_000));
      const sdk = new Crc32cJs();
      sdk.update(data);
      const expected = Buffer.from(await sdk.digest()).readUInt32BE(0);
      let crc = 0;
      for (let at = 0; at < data.length; ) {
        const next = Math.min(data.length, at + 1 + Math.floor(Math.random() * 9000));
        crc = crc32c(data.subarray(at, next), crc);
        at = next;
      }
      expect([crc32c(data), crc]).to.deep.equal([expected, expected]);
    }
  });

  it("a hasher fed in pieces gives what one pass gives", () => {
    const data = randomBytes(300_001);
    for (const algorithm of ALGORITHMS) {
      const h = hasher(algorithm);
      for (let at = 0; at < data.length; at += 65_536) h.update(data.subarray(at, at + 65_536));
      expect(h.digest(), algorithm).to.equal(checksumOf(algorithm, data));
    }
  });

  it("combines parts' CRCs into the full-object CRC S3 returned for parts of 5,242,881, 5,242,881 and 10 bytes", () => {
    const recorded = {
      CRC64NVME: [["Kg7TOs6algM=", "Kg7TOs6algM=", "DBqAA21lxVU="], "ZMNX55lZurA="],
      CRC32: [["NRU+Sw==", "NRU+Sw==", "TBHN8A=="], "qSEQSA=="],
      CRC32C: [["2/Ckiw==", "2/Ckiw==", "5yZkMA=="], "eTdAQA=="],
    } as const;
    const sizes = [5_242_881, 5_242_881, 10];
    const a = Buffer.alloc(5_242_881, "a");
    for (const [algorithm, [parts, whole]] of Object.entries(recorded)) {
      const name = algorithm as keyof typeof recorded;
      expect(checksumOf(name, a), `${name} of part 1`).to.equal(parts[0]);
      expect(
        combineParts(
          name,
          parts.map((checksum, i) => ({ checksum, size: sizes[i] ?? 0 })),
        ),
      ).to.equal(whole);
    }
    const data = randomBytes(70_000);
    for (const algorithm of ["CRC32", "CRC32C", "CRC64NVME"] as const) {
      const cuts = [0, 1, 17_000, 17_000, 69_999, 70_000];
      const parts = cuts.slice(1).map((end, i) => {
        const part = data.subarray(cuts[i], end);
        return { checksum: checksumOf(algorithm, part), size: part.length };
      });
      expect(combineParts(algorithm, parts), algorithm).to.equal(checksumOf(algorithm, data));
    }
  });

  it("builds COMPOSITE checksums as S3 did: the digest of the parts' digests, then -N", () => {
    expect(compositeOf("CRC32", ["NRU+Sw==", "NRU+Sw==", "TBHN8A=="])).to.equal("5FRUiw==-3");
    expect(compositeOf("CRC32C", ["2/Ckiw==", "2/Ckiw==", "5yZkMA=="])).to.equal("XF5+4A==-3");
  });

  it("takes only strict base64 of the digest's length, as S3 does", () => {
    expect(isChecksumValue("CRC32", "y/Q5Jg==")).to.equal(true);
    for (const value of ["y/Q5Jh==", "short===", "shrt", "toolong=", "^^^^^^==", "y/Q5Jg", ""]) {
      expect(isChecksumValue("CRC32", value), value).to.equal(false);
    }
    expect(isChecksumValue("CRC64NVME", "rosUhgp5mIh=")).to.equal(false);
    expect(isChecksumValue("SHA256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=")).to.equal(true);
  });
});
