import { createHash } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { verifyAuthorizationHeader, verifyPresigned } from "../../../local/sigv4";

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

  for (const name of [
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Algorithm",
  ]) {
    it(`refuses a repeated ${name} as a malformed query, before looking at either value`, () => {
      const value = new URLSearchParams(EXAMPLE.rawQuery).get(name) ?? "";
      for (const rawQuery of [
        `${EXAMPLE.rawQuery}&${name}=${encodeURIComponent(value)}`,
        `${name}=x&${EXAMPLE.rawQuery}`,
      ]) {
        expect(verifyPresigned({ ...EXAMPLE, rawQuery }, SECRETS, DURING)).to.deep.equal({
          ok: false,
          code: "AuthorizationQueryParametersError",
          message: `${name} must appear only once in the query string.`,
        });
      }
    });
  }

  it("checks the credential scope when the caller names one", () => {
    expect(verifyPresigned(EXAMPLE, SECRETS, DURING, { service: "s3", region: "us-east-1" }).ok).to.equal(
      true,
    );
    expect(
      verifyPresigned(EXAMPLE, SECRETS, DURING, { service: "lambda", region: "us-east-1" }),
    ).to.deep.equal({
      ok: false,
      code: "InvalidCredentialScope",
      message: "Credential should be scoped to correct service: 'lambda'. ",
    });
    expect(verifyPresigned(EXAMPLE, SECRETS, DURING, { service: "s3", region: "eu-west-1" })).to.deep.equal({
      ok: false,
      code: "InvalidCredentialScope",
      message: "Credential should be scoped to a valid region. ",
    });
  });
});

describe("sigv4-verify: header-signed requests with a body (function URLs)", () => {
  const NOW = new Date("2026-11-22T10:00:00Z");
  const secrets = (id: string) => (id === "AKIDEXAMPLE" ? "secret" : undefined);
  async function sign(body: string, headers: Record<string, string> = {}) {
    const signer = new SignatureV4({
      service: "lambda",
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      sha256: Hash.bind(null, "sha256"),
    });
    const signed = await signer.sign(
      {
        method: "POST",
        protocol: "https:",
        hostname: "abc.lambda-url.eu-west-1.on.aws",
        path: "/a",
        query: {},
        headers: { host: "abc.lambda-url.eu-west-1.on.aws", ...headers },
        body,
      },
      { signingDate: NOW },
    );
    return { method: "POST", rawPath: "/a", rawQuery: "", headers: signed.headers as Record<string, string> };
  }
  const scope = { service: "lambda", region: "eu-west-1" };
  const verify = (request: Awaited<ReturnType<typeof sign>>, body: string) =>
    verifyAuthorizationHeader(request, secrets, NOW, Buffer.from(body), scope);

  it("accepts the signed body, with the body's own hash as the payload hash", async () => {
    const verdict = verify(await sign("hello"), "hello");
    expect(verdict).to.deep.include({
      ok: true,
      accessKeyId: "AKIDEXAMPLE",
      payloadHash: createHash("sha256").update("hello").digest("hex"),
    });
  });

  it("refuses a swapped body, with x-amz-content-sha256 absent, the real hash, or UNSIGNED-PAYLOAD", async () => {
    const hash = createHash("sha256").update("hello").digest("hex");
    expect(verify(await sign("hello"), "HELLO")).to.deep.include({
      ok: false,
      code: "SignatureDoesNotMatch",
    });
    expect(verify(await sign("hello", { "x-amz-content-sha256": hash }), "HELLO")).to.deep.equal({
      ok: false,
      code: "SignatureDoesNotMatch",
      message: "The x-amz-content-sha256 header does not match the SHA-256 of the body.",
    });
    const unsigned = await sign("hello", { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" });
    for (const body of ["hello", "HELLO"]) {
      expect(verify(unsigned, body)).to.deep.equal({
        ok: false,
        code: "SignatureDoesNotMatch",
        message:
          "This service does not accept UNSIGNED-PAYLOAD: x-amz-content-sha256 must be the body's SHA-256.",
      });
    }
  });

  it("refuses another service's or region's scope before the signature", async () => {
    const request = await sign("hello");
    expect(
      verifyAuthorizationHeader(request, secrets, NOW, Buffer.from("hello"), {
        service: "s3",
        region: "eu-west-1",
      }),
    ).to.deep.equal({
      ok: false,
      code: "InvalidCredentialScope",
      message: "Credential should be scoped to correct service: 's3'. ",
    });
  });
});
