import { connect } from "node:net";
import { expect } from "chai";
import { type EdgeFixture, startEdgeFixture } from "./fixture";

/** Sends `raw` on a fresh connection and resolves with everything the edge answers before closing. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(raw)}`)));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.write(raw, "latin1");
  });
}

const statusOf = (answer: string) => answer.split("\r\n", 1)[0];
const bodyOf = (answer: string) => answer.slice(answer.indexOf("\r\n\r\n") + 4);
const xmlError = (message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadRequest</Code><Message>${message}</Message></Error>`;

describe("local CloudFront edge: hostile requests on raw sockets are 400s, never 5xx", () => {
  let fixture: EdgeFixture;
  let port: number;
  let signedPath: string;
  before(async () => {
    fixture = await startEdgeFixture();
    fixture.origin.put("k.txt", { versionId: "V1", body: Buffer.from("k") });
    port = Number(new URL(fixture.edge.url).port);
    const signed = new URL(fixture.sign("/k.txt?versionId=V1"));
    signedPath = `${signed.pathname}${signed.search}`;
  });
  after(() => fixture.close());

  const handled: [string, string, string][] = [
    [
      "a Host with a space",
      "GET /k.txt HTTP/1.1\r\nHost: bad host\r\n\r\n",
      "The Host header is not a valid host name.",
    ],
    [
      "a Host with a slash",
      "GET /k.txt HTTP/1.1\r\nHost: a/b\r\n\r\n",
      "The Host header is not a valid host name.",
    ],
    [
      "an unclosed IPv6 Host",
      "GET /k.txt HTTP/1.1\r\nHost: [::1\r\n\r\n",
      "The Host header is not a valid host name.",
    ],
    [
      "a Host port out of range",
      "GET /k.txt HTTP/1.1\r\nHost: a:99999\r\n\r\n",
      "The Host header is not a valid host name.",
    ],
    ["an empty Host", "GET /k.txt HTTP/1.1\r\nHost: \r\n\r\n", "The Host header is not a valid host name."],
    ["no Host at all", "GET /k.txt HTTP/1.1\r\n\r\n", "The Host header is not a valid host name."],
    [
      "two Host headers",
      "GET /k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
      "The request has more than one Host header.",
    ],
    [
      "a bad percent-escape",
      "GET /%ZZ.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The path is not validly percent-encoded.",
    ],
    [
      "a truncated percent-escape",
      "GET /k%2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The path is not validly percent-encoded.",
    ],
    [
      "escapes that are not UTF-8",
      "GET /%C3%28 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The path is not validly percent-encoded.",
    ],
    [
      "absolute-form garbage",
      "GET http://[garbage/k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The Host header is not a valid host name.",
    ],
    [
      "absolute-form without a host",
      "GET http:///k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The Host header is not a valid host name.",
    ],
    [
      "absolute-form of another scheme",
      "GET ftp://a/k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The request target is not a valid URL.",
    ],
    [
      "the asterisk form",
      "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "The request target is not a valid URL.",
    ],
    [
      "a request line without a version (HTTP/0.9)",
      "GET /k.txt\r\nHost: 127.0.0.1\r\n\r\n",
      "The HTTP version is not supported.",
    ],
  ];
  for (const [name, raw, message] of handled) {
    it(`${name}: 400 BadRequest`, async () => {
      const answer = await exchange(port, raw);
      expect(statusOf(answer)).to.equal("HTTP/1.1 400 Bad Request");
      expect(answer).to.match(/\r\ncontent-type: application\/xml\r\n/i);
      expect(bodyOf(answer)).to.equal(xmlError(message));
    });
  }

  it("a bad percent-escape in versionId of a signed URL: 400 before the signature check", async () => {
    const answer = await exchange(
      port,
      `GET ${signedPath.replace("versionId=V1", "versionId=%G1")} HTTP/1.1\r\nHost: ${new URL(fixture.edge.url).host}\r\n\r\n`,
    );
    expect(statusOf(answer)).to.equal("HTTP/1.1 400 Bad Request");
    expect(bodyOf(answer)).to.equal(xmlError("The query string is not validly percent-encoded."));
  });

  const unparsable: [string, string][] = [
    ["a garbage request line", "GARBAGE\r\n\r\n"],
    ["a non-numeric Content-Length", "GET /k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n"],
    ["a header without a colon", "GET /k.txt HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"],
    ["a relative target", "GET k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"],
    ["a non-ASCII target", "GET /caf\xe9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"],
    ["a control character in the target", "GET /k\x01.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"],
  ];
  for (const [name, raw] of unparsable) {
    it(`${name}: 400 from the parser, in the XML shape`, async () => {
      const answer = await exchange(port, raw);
      expect(statusOf(answer)).to.equal("HTTP/1.1 400 Bad Request");
      expect(bodyOf(answer)).to.equal(xmlError("The request could not be parsed."));
    });
  }

  it("bytes after a refused request get no second answer on the closing connection", async () => {
    const answer = await exchange(port, "GET /%ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE\r\n\r\n");
    expect(answer.match(/HTTP\/1\.1 /g)).to.have.length(1);
    expect(bodyOf(answer)).to.equal(xmlError("The path is not validly percent-encoded."));
  });

  it("a HEAD the parser refuses gets the 400 without a body", async () => {
    const answer = await exchange(port, "HEAD /k.txt HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n");
    expect(statusOf(answer)).to.equal("HTTP/1.1 400 Bad Request");
    expect(bodyOf(answer)).to.equal("");
  });

  it("a well-formed request on the same socket path still works: 200 for the signed URL", async () => {
    const answer = await exchange(
      port,
      `GET ${signedPath} HTTP/1.1\r\nHost: ${new URL(fixture.edge.url).host}\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(answer)).to.equal("HTTP/1.1 200 OK");
    expect(bodyOf(answer)).to.equal("k");
  });

  it("a good Host with an unsigned path is 403, not 400", async () => {
    const answer = await exchange(
      port,
      "GET /k.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(answer)).to.equal("HTTP/1.1 403 Forbidden");
  });
});
