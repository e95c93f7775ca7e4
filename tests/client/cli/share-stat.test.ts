import { expect } from "chai";
import { sfs } from "../../support/sfs-cli";
import { type FakeServer, fakeServer, sendJson } from "../fake-server";

const OBJECT = {
  key: "docs/Grüße 2026.pdf",
  size: 1000,
  etag: '"0cc175b9c0f1b6a831c399e269772661"',
  versionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
  contentType: "application/pdf",
  lastModified: "2026-11-23T15:04:05.000Z",
  checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "rosUhgp5mIg=" },
  contentDisposition: "attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe%202026.pdf",
};
const MAX_EXPIRES = 604800;

/**
 * The API's read contract for share links and metadata: GET with Accept: application/json answers
 * the signed URL and the object, a missing key is 404 with the API's JSON error.
 */
function answer(req: { method: string; target: string }, res: import("node:http").ServerResponse) {
  const url = new URL(req.target, "http://api");
  const key = decodeURIComponent(url.pathname.slice(1));
  if (key !== OBJECT.key && key !== "plain.bin") {
    return sendJson(res, 404, { error: { code: "NoSuchKey", message: `no object at ${key}` } });
  }
  const object = key === OBJECT.key ? OBJECT : { key, size: 0, etag: '"d41d8cd98f00b204e9800998ecf8427e"' };
  const expires = Number(url.searchParams.get("expires") ?? 3600);
  if (expires > MAX_EXPIRES) {
    return sendJson(res, 400, {
      error: {
        code: "InvalidExpires",
        message: `expires must be a whole number of seconds from 1 to ${MAX_EXPIRES}, got "${expires}"`,
      },
    });
  }
  sendJson(res, 200, {
    method: "GET",
    url: `https://d111111abcdef8.cloudfront.net/${url.pathname.slice(1)}?versionId=V&Expires=${expires}&Signature=S&Key-Pair-Id=K`,
    headers: {},
    expiresAt: "2026-11-24T16:00:00.000Z",
    object,
  });
}

describe("sfstore share and stat against the API's read contract", function () {
  this.timeout(180_000);
  let api: FakeServer;
  before(async () => {
    api = await fakeServer(answer);
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
  });
  const run = (args: string[]) => sfs([...args, "--api-url", api.url]);
  const encodedKey = "docs/Gr%C3%BC%C3%9Fe%202026.pdf";

  it("share prints just the URL, asking for the lifetime and download name given", async () => {
    const result = await run([
      "share",
      OBJECT.key,
      "--expires",
      "1d",
      "--download",
      "Report 2026 (final).pdf",
    ]);
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal(
      `https://d111111abcdef8.cloudfront.net/${encodedKey}?versionId=V&Expires=86400&Signature=S&Key-Pair-Id=K\n`,
    );
    expect(api.requests).to.have.length(1);
    expect(api.requests[0]?.method).to.equal("GET");
    expect(api.requests[0]?.target).to.equal(
      `/${encodedKey}?expires=86400&download=Report%202026%20(final).pdf`,
    );
    expect(api.requests[0]?.headers.accept).to.equal("application/json");
  });

  it("share --json prints the API's whole answer as one JSON document", async () => {
    const result = await run(["share", OBJECT.key, "--json"]);
    expect(result.code).to.equal(0);
    expect(result.stdout.split("\n")).to.deep.equal([result.stdout.trimEnd(), ""]);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      method: "GET",
      url: `https://d111111abcdef8.cloudfront.net/${encodedKey}?versionId=V&Expires=3600&Signature=S&Key-Pair-Id=K`,
      headers: {},
      expiresAt: "2026-11-24T16:00:00.000Z",
      object: OBJECT,
    });
    expect(api.requests[0]?.target).to.equal(`/${encodedKey}`);
  });

  it("--expires takes seconds or one number with s, m, h or d", async () => {
    const cases: Array<[string, number]> = [
      ["90", 90],
      ["90s", 90],
      ["15m", 900],
      ["12h", 43200],
      ["1d", 86400],
      ["7d", 604800],
    ];
    for (const [text] of cases) {
      const result = await run(["share", "plain.bin", `--expires=${text}`]);
      expect(result.code, text).to.equal(0);
    }
    expect(api.requests.map((r) => r.target)).to.deep.equal(
      cases.map(([, seconds]) => `/plain.bin?expires=${seconds}`),
    );
  });

  it("a malformed --expires exits 2 without asking the API", async () => {
    for (const text of ["0", "0d", "1.5h", "1w", "-5", "1h30m", "", " 5", "5 m", "1D", "99999999999"]) {
      const result = await run(["share", "plain.bin", `--expires=${text}`]);
      expect(result.code, JSON.stringify(text)).to.equal(2);
      expect(result.stderr).to.equal(
        `sfstore: --expires must be a positive number of seconds, or one like 90s, 15m, 12h, 1d or 7d; got "${text}"\nsfstore: see sfstore --help\n`,
      );
    }
    expect(api.requests).to.deep.equal([]);
  });

  it("a lifetime above the deployment's limit is the API's 400, with its likely cause", async () => {
    const result = await run(["share", "plain.bin", "--expires", "8d"]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      `sfstore: 400 InvalidExpires: expires must be a whole number of seconds from 1 to ${MAX_EXPIRES}, got "691200"\n` +
        "sfstore: likely cause: the deployment caps how long a read URL may live (maxReadExpirySeconds): ask for a shorter --expires\n",
    );
  });

  it("stat prints every field the API knows, from the read's JSON answer, the checksum included", async () => {
    const result = await run(["stat", OBJECT.key]);
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal(
      [
        `key            ${OBJECT.key}`,
        "size           1000 bytes",
        `etag           ${OBJECT.etag}`,
        `version        ${OBJECT.versionId}`,
        "content type   application/pdf",
        "last modified  2026-11-23T15:04:05.000Z",
        "checksum       crc64nvme rosUhgp5mIg= (full object)",
        `disposition    ${OBJECT.contentDisposition}`,
        "",
      ].join("\n"),
    );
    expect(api.requests.map((r) => `${r.method} ${r.target} ${r.headers.accept}`)).to.deep.equal([
      `GET /${encodedKey} application/json`,
    ]);
  });

  it("stat --json prints the object's fields, leaving out those the store does not know", async () => {
    const full = await run(["stat", OBJECT.key, "--json"]);
    expect(JSON.parse(full.stdout)).to.deep.equal(OBJECT);
    const bare = await run(["stat", "plain.bin", "--json"]);
    expect(JSON.parse(bare.stdout)).to.deep.equal({
      key: "plain.bin",
      size: 0,
      etag: '"d41d8cd98f00b204e9800998ecf8427e"',
    });
  });

  it("stat of a missing key exits 1 with NoSuchKey, as a JSON error under --json", async () => {
    const result = await run(["stat", "missing/k"]);
    expect(result.code).to.equal(1);
    const hint =
      "nothing is stored under this key: check its spelling (keys are case-sensitive) or whether it was deleted";
    expect(result.stderr).to.equal(
      `sfstore: 404 NoSuchKey: no object at missing/k\nsfstore: likely cause: ${hint}\n`,
    );
    const json = await run(["stat", "missing/k", "--json"]);
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      error: {
        code: "NoSuchKey",
        status: 404,
        message: "404 NoSuchKey: no object at missing/k",
        hint,
      },
    });
  });
});
