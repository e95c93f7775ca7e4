import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { newCrc64 } from "../../../client/transfer/crc64-wasm";
import { Crc64Nvme, crc64ToBase64 } from "../../../functions/api/checksums";
import { awsCrc64 } from "../../support/aws-crc";

describe("the Node client's CRC64NVME (WebAssembly)", () => {
  it("is the module, not the fallback: WebAssembly is there in Node", () => {
    expect(newCrc64().constructor.name).to.equal("WasmCrc64");
  });

  it("gives the AWS SDK's CRC and the shared one for every length around its 16-byte blocks and 2 MiB copies", async () => {
    const data = randomBytes(2 * 1024 * 1024 + 40);
    const lengths = [
      0,
      1,
      7,
      8,
      9,
      15,
      16,
      17,
      31,
      32,
      33,
      1000,
      2 * 1024 * 1024 - 1,
      2 * 1024 * 1024,
      data.length,
    ];
    for (const length of lengths) {
      // Unaligned on purpose: a view that starts at an odd offset of its buffer.
      const bytes = data.subarray(3, 3 + length);
      const got = crc64ToBase64(newCrc64().update(bytes).value());
      expect(got, `${length} bytes`).to.equal(await awsCrc64(bytes));
      expect(got, `${length} bytes`).to.equal(new Crc64Nvme().update(bytes).digest());
    }
  });

  it("sums bytes fed in uneven pieces as it sums them whole; the check value of 123456789 is S3's", async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const crc = newCrc64();
    for (let at = 0, step = 1; at < data.length; at += step, step = (step * 31 + 7) % 3_000_001 || 1) {
      crc.update(data.subarray(at, at + step));
    }
    expect(crc64ToBase64(crc.value())).to.equal(await awsCrc64(data));
    expect(crc64ToBase64(newCrc64().update(Buffer.from("123456789")).value())).to.equal("rosUhgp5mIg=");
  });
});
