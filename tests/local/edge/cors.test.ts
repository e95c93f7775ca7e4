import { expect } from "chai";
import { type EdgeFixture, EXPIRES, NOW, startEdgeFixture } from "./fixture";

const EXPOSED =
  "etag, content-length, content-range, content-disposition, content-type, x-amz-version-id, last-modified, accept-ranges";
const ALLOWED_HEADERS = "range, if-range, if-none-match, if-match, if-modified-since, if-unmodified-since";
const MISSING_KEY =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>';
const ACCESS_DENIED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>';

const corsOf = (res: Response) =>
  Object.fromEntries(
    [...res.headers].filter(([name]) => name.startsWith("access-control-") || name === "vary"),
  );

describe("local CloudFront edge: CDN CORS (any origin, no credentials)", () => {
  let fixture: EdgeFixture;
  let url: string;
  before(async () => {
    fixture = await startEdgeFixture();
    fixture.origin.put("shared/clip.bin", { versionId: "V1", body: Buffer.from("0123456789") });
    url = fixture.sign("/shared/clip.bin?versionId=V1");
  });
  after(() => fixture.close());

  it("a GET after a cross-origin redirect (Origin: null) gets Allow-Origin * and the exposed headers", async () => {
    const res = await fetch(url, { headers: { origin: "null" } });
    expect([res.status, await res.text()]).to.deep.equal([200, "0123456789"]);
    expect(corsOf(res)).to.deep.equal({
      "access-control-allow-origin": "*",
      "access-control-expose-headers": EXPOSED,
    });
  });

  it("a cached answer to a request without Origin carries no CORS headers; the next CORS request does", async () => {
    const plain = await fetch(url);
    expect([plain.headers.get("x-cache"), corsOf(plain)]).to.deep.equal(["Hit from cloudfront", {}]);
    await plain.arrayBuffer();
    const cors = await fetch(url, { headers: { origin: "https://app.example" } });
    expect([cors.headers.get("x-cache"), cors.headers.get("access-control-allow-origin")]).to.deep.equal([
      "Hit from cloudfront",
      "*",
    ]);
  });

  it("a signed preflight for Range with If-Range is 200 with the policy's headers", async () => {
    const res = await fetch(url, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "if-range,range",
      },
    });
    expect([res.status, await res.text()]).to.deep.equal([200, ""]);
    expect(corsOf(res)).to.deep.equal({
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, HEAD, OPTIONS",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": "600",
    });
  });

  it("a preflight without the signature is refused like any unsigned request: 403, no CORS headers", async () => {
    const res = await fetch(url.split("?")[0] ?? "", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "GET" },
    });
    expect([res.status, await res.text(), corsOf(res)]).to.deep.equal([403, MISSING_KEY, {}]);
  });

  it("a preflight with an expired signature is refused: 403", async () => {
    const expired = fixture.sign("/shared/clip.bin?versionId=V1", Math.floor(NOW.getTime() / 1000));
    const res = await fetch(expired, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "GET" },
    });
    expect([res.status, await res.text()]).to.deep.equal([403, ACCESS_DENIED]);
  });

  it("a signed preflight for a method the bucket's read rule does not allow gets S3's 403", async () => {
    const res = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "PUT" },
    });
    expect(res.status).to.equal(403);
    expect(await res.text()).to.include("<Code>AccessForbidden</Code><Message>CORSResponse: ");
  });

  it("a signed OPTIONS without Origin gets S3's 400", async () => {
    const res = await fetch(url, { method: "OPTIONS", headers: { "access-control-request-method": "GET" } });
    expect([res.status, await res.text()]).to.deep.equal([
      400,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadRequest</Code><Message>Insufficient information. Origin request header needed.</Message></Error>',
    ]);
  });

  it("an origin error forwarded to a CORS request carries Allow-Origin; the edge's own 403 does not", async () => {
    const missing = await fetch(fixture.sign("/shared/clip.bin?versionId=GONE", EXPIRES), {
      headers: { origin: "null" },
    });
    expect([
      missing.status,
      missing.headers.get("x-cache"),
      missing.headers.get("access-control-allow-origin"),
    ]).to.deep.equal([404, "Error from cloudfront", "*"]);
    await missing.arrayBuffer();
    const refused = await fetch(url.replace("versionId=V1", "versionId=V2"), { headers: { origin: "null" } });
    expect([refused.status, corsOf(refused)]).to.deep.equal([403, {}]);
  });
});
