import { expect } from "chai";
import { verifyPresigned } from "../../local/sigv4-verify";

// The worked example in the Amazon S3 API Reference, "Authenticating Requests: Using Query
// Parameters (AWS Signature Version 4)": GET /test.txt from examplebucket, 24 h expiry.
const EXAMPLE = {
  method: "GET",
  rawPath: "/test.txt",
  rawQuery:
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
  headers: { host: "examplebucket.s3.amazonaws.com" },
};
const SECRETS = (id: string) =>
  id === "AKIAIOSFODNN7EXAMPLE" ? "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" : undefined;
const DURING = new Date("2013-05-24T12:00:00Z");

describe("sigv4-verify", () => {
  it("accepts AWS's documented presigned URL example", () => {
    expect(verifyPresigned(EXAMPLE, SECRETS, DURING)).to.deep.equal({
      ok: true,
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      expiresAt: new Date("2013-05-25T00:00:00Z"),
      signedHeaders: ["host"],
    });
  });

  it("refuses it after X-Amz-Expires with S3's AccessDenied", () => {
    expect(verifyPresigned(EXAMPLE, SECRETS, new Date("2013-05-25T00:00:01Z"))).to.deep.equal({
      ok: false,
      code: "AccessDenied",
      message: "Request has expired",
    });
  });

  it("refuses one changed character in the signature, the path, the host or the method", () => {
    const cases = [
      { ...EXAMPLE, rawQuery: EXAMPLE.rawQuery.replace(/404$/, "405") },
      { ...EXAMPLE, rawPath: "/test.txu" },
      { ...EXAMPLE, headers: { host: "examplebucket.s3.amazonaws.co" } },
      { ...EXAMPLE, method: "PUT" },
      { ...EXAMPLE, rawQuery: EXAMPLE.rawQuery.replace("X-Amz-Expires=86400", "X-Amz-Expires=86401") },
    ];
    for (const request of cases) {
      expect(verifyPresigned(request, SECRETS, DURING)).to.deep.include({
        ok: false,
        code: "SignatureDoesNotMatch",
      });
    }
  });

  it("refuses an unknown access key and a missing parameter", () => {
    expect(verifyPresigned(EXAMPLE, () => undefined, DURING)).to.deep.include({
      ok: false,
      code: "InvalidAccessKeyId",
    });
    const noDate = { ...EXAMPLE, rawQuery: EXAMPLE.rawQuery.replace("X-Amz-Date=20130524T000000Z&", "") };
    expect(verifyPresigned(noDate, SECRETS, DURING)).to.deep.include({
      ok: false,
      code: "AuthorizationQueryParametersError",
    });
  });
});
