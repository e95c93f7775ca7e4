import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { readXmlBody } from "../../../../local/storage/s3/request";

/** A server that reads each body with readXmlBody (16 bytes at most) and echoes what it read. */
async function echoServer(bodySha256?: string) {
  const server = createServer(async (req, res) => {
    const call = { req, res, key: "k", query: new URLSearchParams(), mayList: true, bodySha256 };
    const body = await readXmlBody(call, 16);
    if (body !== undefined) res.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const post = async (body: string) => {
    const res = await fetch(url, { method: "POST", body });
    const text = await res.text();
    return { status: res.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? text };
  };
  return { post, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("a request's small XML body", () => {
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

  it("is read whole up to the limit, and checked against the signed hash when there is one", async () => {
    const unsigned = await echoServer();
    const signed = await echoServer(sha256("<Delete/>"));
    try {
      expect(await unsigned.post("0123456789abcdef")).to.deep.equal({
        status: 200,
        code: "0123456789abcdef",
      });
      expect(await signed.post("<Delete/>")).to.deep.equal({ status: 200, code: "<Delete/>" });
    } finally {
      await unsigned.close();
      await signed.close();
    }
  });

  it("over the limit is 400 MalformedXML; another body than the signed one is 400 XAmzContentSHA256Mismatch", async () => {
    const unsigned = await echoServer();
    const signed = await echoServer(sha256("<Delete/>"));
    try {
      expect(await unsigned.post("0123456789abcdefX")).to.deep.equal({ status: 400, code: "MalformedXML" });
      expect(await signed.post("<Delete />")).to.deep.equal({
        status: 400,
        code: "XAmzContentSHA256Mismatch",
      });
    } finally {
      await unsigned.close();
      await signed.close();
    }
  });
});
