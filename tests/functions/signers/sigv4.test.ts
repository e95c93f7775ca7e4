import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { amzDate, SigV4Signer } from "../../../functions/signers/sigv4";

const DOC_CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

describe("SigV4 signer", () => {
  it("signs the IAM User Guide's example request to the documented signature", () => {
    // "Create a signed AWS API request" (IAM User Guide): GET ?Action=ListUsers&Version=2010-05-08.
    const headers = new SigV4Signer().signHeaders(
      {
        method: "GET",
        path: "/",
        query: { Action: "ListUsers", Version: "2010-05-08" },
        headers: {
          host: "iam.amazonaws.com",
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        },
      },
      "",
      {
        region: "us-east-1",
        service: "iam",
        credentials: DOC_CREDENTIALS,
        now: new Date("2015-08-30T12:36:00Z"),
      },
    );
    expect(headers).to.deep.equal({
      host: "iam.amazonaws.com",
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      "x-amz-date": "20150830T123600Z",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    });
  });

  it("presigns the S3 API Reference's example GET to the documented signature", () => {
    // "Authenticating Requests: Using Query Parameters", the example for examplebucket/test.txt.
    const query = new SigV4Signer().presignQuery(
      { method: "GET", path: "/test.txt", headers: { host: "examplebucket.s3.amazonaws.com" } },
      {
        region: "us-east-1",
        service: "s3",
        credentials: {
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        },
        now: new Date("2013-05-24T00:00:00Z"),
      },
      86400,
    );
    expect(query).to.equal(
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    );
  });

  it("signs an SSM call with a session exactly as @smithy/signature-v4 does (without its S3-only x-amz-content-sha256)", async () => {
    const credentials = { ...DOC_CREDENTIALS, sessionToken: "session/token+=" };
    const request = {
      method: "POST",
      path: "/",
      headers: {
        host: "ssm.eu-west-1.amazonaws.com",
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonSSM.GetParameter",
      },
    };
    const body = JSON.stringify({ Name: "/signed-file-store/files/signing-key", WithDecryption: true });
    const now = new Date("2026-11-22T10:00:00.250Z");
    const ours = new SigV4Signer().signHeaders(request, body, {
      region: "eu-west-1",
      service: "ssm",
      credentials,
      now,
    });
    const theirs = await new SignatureV4({
      service: "ssm",
      region: "eu-west-1",
      credentials,
      sha256: Hash.bind(null, "sha256"),
      // The payload hash header is S3's; SSM signs the body's hash without it.
      applyChecksum: false,
    }).sign(
      { ...request, protocol: "https:", hostname: request.headers.host, query: {}, body },
      { signingDate: now },
    );
    expect(ours).to.deep.equal(theirs.headers);
  });

  it("presigns with query parameters, signed headers and a session exactly as @smithy/signature-v4 does", async () => {
    const credentials = { ...DOC_CREDENTIALS, sessionToken: "session/token+=" };
    const now = new Date("2026-11-22T10:00:00.250Z");
    const path = "/files-bucket/photos/cat%20%28%C3%A9%29%20%2A.png";
    const query = { partNumber: "3", uploadId: "a b+c/d~e" };
    const headers = {
      host: "127.0.0.1:9000",
      "content-type": "image/png",
      "x-amz-meta-sha256": "  spaced   value ",
    };
    const ours = new SigV4Signer().presignQuery(
      { method: "PUT", path, query, headers },
      {
        region: "eu-west-1",
        service: "s3",
        credentials,
        now,
      },
      300,
    );
    const theirs = await new SignatureV4({
      service: "s3",
      region: "eu-west-1",
      credentials,
      sha256: Hash.bind(null, "sha256"),
      uriEscapePath: false,
      applyChecksum: false,
    }).presign(
      {
        method: "PUT",
        protocol: "http:",
        hostname: "127.0.0.1",
        port: 9000,
        path,
        query,
        headers: { ...headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      },
      {
        signingDate: now,
        expiresIn: 300,
        unsignableHeaders: new Set(["x-amz-content-sha256"]),
        unhoistableHeaders: new Set(["x-amz-content-sha256", ...Object.keys(headers)]),
      },
    );
    const sorted = (text: string) => text.split("&").sort();
    const theirQuery = Object.entries(theirs.query ?? {}).map(
      ([name, value]) =>
        `${encodeURIComponent(name)}=${encodeURIComponent(String(value)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    );
    expect(sorted(ours)).to.deep.equal(theirQuery.sort());
    expect(ours.split("&").at(-1)).to.match(/^X-Amz-Signature=[0-9a-f]{64}$/);
  });

  it("refuses a lifetime SigV4 cannot carry", () => {
    const scope = { region: "eu-west-1", service: "s3", credentials: DOC_CREDENTIALS, now: new Date() };
    const request = { method: "GET", path: "/k", headers: { host: "h" } };
    for (const seconds of [0, 604_801, 1.5]) {
      expect(() => new SigV4Signer().presignQuery(request, scope, seconds)).to.throw(
        RangeError,
        `expiresInSeconds must be a whole number from 1 to 604800, got ${seconds}`,
      );
    }
  });

  it("writes X-Amz-Date to the second in UTC", () => {
    expect(amzDate(new Date("2026-01-02T03:04:05.999Z"))).to.equal("20260102T030405Z");
  });
});
