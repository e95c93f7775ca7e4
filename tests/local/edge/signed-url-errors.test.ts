import { expect } from "chai";
import { toCloudFrontBase64 } from "../../../functions/signers/cloudfront-signer";
import { type EdgeFixture, EXPIRES, NOW, startEdgeFixture } from "./fixture";

const xml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
const MISSING_KEY = xml("MissingKey", "Missing Key-Pair-Id query parameter or cookie value");
const UNKNOWN_KEY = xml("InvalidKey", "Unknown Key");
const MALFORMED_POLICY = xml("MalformedPolicy", "Malformed Policy");
const ACCESS_DENIED = xml("AccessDenied", "Access denied");

/**
 * What the edge answers each way a signed URL can be wrong, as CloudFront answers it: always 403
 * with `X-Cache: Error from cloudfront`, the code saying what is wrong, and nothing read from S3.
 */
describe("local CloudFront edge: refused signed URLs, code by cause", () => {
  let fixture: EdgeFixture;
  let good: string;
  before(async () => {
    fixture = await startEdgeFixture();
    fixture.origin.put("doc.txt", { versionId: "V1", body: Buffer.from("the document") });
    good = fixture.sign("/doc.txt?versionId=V1");
  });
  after(() => fixture.close());

  const refused = async (url: string) => {
    const res = await fetch(url);
    return [res.status, res.headers.get("x-cache"), await res.text()];
  };
  const cutBefore = (name: string) => good.slice(0, good.indexOf(`&${name}=`));
  const withParam = (name: string, value: string) =>
    good.replace(new RegExp(`${name}=[^&]*`), `${name}=${value}`);

  const cases: [string, () => string, string][] = [
    ["no signing parameters at all", () => good.slice(0, good.indexOf("&Expires=")), MISSING_KEY],
    [
      "a URL cut short before Key-Pair-Id (inside Signature)",
      () => cutBefore("Key-Pair-Id").slice(0, -10),
      MISSING_KEY,
    ],
    ["a URL cut short right before Key-Pair-Id", () => cutBefore("Key-Pair-Id"), MISSING_KEY],
    ["an empty Key-Pair-Id", () => withParam("Key-Pair-Id", ""), MISSING_KEY],
    ["a Key-Pair-Id cut short", () => withParam("Key-Pair-Id", "KEDGE"), UNKNOWN_KEY],
    ["a Key-Pair-Id no trusted key group holds", () => withParam("Key-Pair-Id", "KUNKNOWN"), UNKNOWN_KEY],
    ["no Signature", () => good.replace(/&Signature=[^&]*/, ""), ACCESS_DENIED],
    ["a Signature that does not verify", () => withParam("Signature", "AAAA"), ACCESS_DENIED],
    ["a path other than the one signed", () => good.replace("/doc.txt", "/other.txt"), ACCESS_DENIED],
    [
      "a versionId other than the one signed",
      () => good.replace("versionId=V1", "versionId=V2"),
      ACCESS_DENIED,
    ],
    ["an expiry changed after signing", () => withParam("Expires", String(EXPIRES + 60)), ACCESS_DENIED],
    ["a query parameter added after signing", () => `${good}&extra=1`, ACCESS_DENIED],
    [
      "a Policy that is not JSON",
      () => good.replace(/Expires=\d+/, `Policy=${toCloudFrontBase64(Buffer.from("{not json"))}`),
      MALFORMED_POLICY,
    ],
  ];
  for (const [name, url, body] of cases) {
    it(`${name}: 403 ${/<Code>(\w+)/.exec(body)?.[1]}`, async () => {
      expect(await refused(url())).to.deep.equal([403, "Error from cloudfront", body]);
    });
  }

  it("an expired URL: 403 AccessDenied from the second it expires, served the second before", async () => {
    const expiring = fixture.sign("/doc.txt?versionId=V1", Math.floor(NOW.getTime() / 1000) + 1);
    expect((await fetch(expiring)).status).to.equal(200);
    const expired = fixture.sign("/doc.txt?versionId=V1", Math.floor(NOW.getTime() / 1000));
    expect(await refused(expired)).to.deep.equal([403, "Error from cloudfront", ACCESS_DENIED]);
  });

  it("refused URLs read nothing from the origin", async () => {
    const before = fixture.origin.requests.length;
    for (const [, url] of cases) await refused(url());
    expect(fixture.origin.requests.length).to.equal(before);
  });
});
