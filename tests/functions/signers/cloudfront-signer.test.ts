import { expect } from "chai";
import { cannedPolicy, toCloudFrontBase64 } from "../../../functions/signers/cloudfront-signer";

describe("CloudFront canned policy text", () => {
  const urls = [
    "https://d111111abcdef8.cloudfront.net/photos/cat.png?versionId=3HL4kqtJvjVBH40Nrjfkd",
    'https://cdn.example/a"quote\\back\u0001\u2028é猫😺',
    "https://cdn.example/x?response-content-disposition=attachment%3B%20filename%2A%3DUTF-8%27%27a.txt",
  ];
  for (const url of urls) {
    it(`is byte for byte what JSON.stringify writes for ${JSON.stringify(url)}`, () => {
      expect(cannedPolicy(url, 1795341900)).to.equal(
        JSON.stringify({
          Statement: [{ Resource: url, Condition: { DateLessThan: { "AWS:EpochTime": 1795341900 } } }],
        }),
      );
    });
  }
});

describe("CloudFront's base64", () => {
  it("replaces +, = and / with -, _ and ~ and leaves every other character", () => {
    const bytes = Buffer.from([0xfb, 0xef, 0xbf, 0xfb, 0xff, 0xbf, 0x41]);
    expect(bytes.toString("base64")).to.equal("+++/+/+/QQ==");
    expect(toCloudFrontBase64(bytes)).to.equal("---~-~-~QQ__");
  });
});

describe("CloudFront's base64, every padding", () => {
  for (const length of [69, 70, 71]) {
    it(`matches the three replacements of plain base64 for ${length} bytes`, () => {
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) bytes[i] = (i * 97 + 251) & 0xff;
      const expected = bytes.toString("base64").replace(/\+/g, "-").replace(/=/g, "_").replace(/\//g, "~");
      expect(toCloudFrontBase64(bytes)).to.equal(expected);
      expect([expected.length % 4, expected.includes("-"), expected.includes("~")]).to.deep.equal([
        0,
        true,
        true,
      ]);
    });
  }
});
