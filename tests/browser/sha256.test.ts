import { createHash, randomBytes } from "node:crypto";
import { expect } from "chai";
import { Sha256 } from "../../browser/sha256";

const reference = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("browser SDK: incremental SHA-256", () => {
  it("matches FIPS 180-4's examples", () => {
    const text = (s: string) => new Sha256().update(new TextEncoder().encode(s)).hex();
    expect(text("")).to.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(text("abc")).to.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).to.equal(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("gives node:crypto's digest for every length around the block and padding edges, fed in uneven pieces", () => {
    const lengths = [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_003];
    for (const length of lengths) {
      const data = randomBytes(length);
      const hash = new Sha256();
      for (let offset = 0, step = 1; offset < length; offset += step, step = (step * 7) % 97 || 1) {
        hash.update(data.subarray(offset, offset + step));
      }
      expect(hash.hex(), `${length} bytes`).to.equal(reference(data));
    }
  });

  it("refuses more input once finished", () => {
    const hash = new Sha256();
    hash.hex();
    expect(() => hash.update(new Uint8Array(1))).to.throw("this SHA-256 has already been finished");
  });
});
