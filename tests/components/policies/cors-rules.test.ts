import { expect } from "chai";
import { corsRules } from "../../../components/policies/cors-rules";

describe("CORS rules for the API and the bucket", () => {
  const rules = corsRules(["https://app.example.com"]);

  it("lets the API's preflight admit conditional and ranged reads and the checksum headers", () => {
    expect(rules.api).to.deep.equal({
      allowOrigins: ["https://app.example.com"],
      allowMethods: ["GET", "HEAD", "PUT", "POST", "DELETE"],
      allowHeaders: [
        "accept",
        "authorization",
        "cache-control",
        "range",
        "if-range",
        "if-modified-since",
        "content-type",
        "content-disposition",
        "if-none-match",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha256",
        "x-amz-checksum-algorithm",
        "upload-length",
        "copy-source",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-amz-security-token",
      ],
      exposeHeaders: [
        "location",
        "object-key",
        "object-size",
        "object-etag",
        "object-version-id",
        "object-content-type",
        "object-last-modified",
        "object-content-disposition",
        "object-checksum-algorithm",
        "object-checksum-type",
        "object-checksum",
      ],
      maxAgeSeconds: 600,
    });
  });

  it("lets browsers send S3 the checksum a write URL signs, and read back the ETag, version and checksum", () => {
    expect(rules.bucket).to.deep.equal({
      allowOrigins: ["https://app.example.com"],
      allowMethods: ["PUT", "DELETE"],
      allowHeaders: [
        "content-type",
        "content-disposition",
        "if-none-match",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha256",
      ],
      exposeHeaders: [
        "etag",
        "x-amz-version-id",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha256",
        "x-amz-checksum-type",
      ],
      maxAgeSeconds: 600,
    });
  });

  it("admits the store's user metadata names, and only those, on the API and the bucket", () => {
    const withMetadata = corsRules(["https://app.example.com"], ["caption", "author"]);
    const metadataOf = (list: readonly string[]) => list.filter((h) => h.startsWith("x-amz-meta-"));
    expect(metadataOf(withMetadata.api.allowHeaders)).to.deep.equal([
      "x-amz-meta-caption",
      "x-amz-meta-author",
    ]);
    expect(metadataOf(withMetadata.bucket.allowHeaders)).to.deep.equal([
      "x-amz-meta-caption",
      "x-amz-meta-author",
    ]);
    expect(metadataOf(rules.api.allowHeaders)).to.deep.equal([]);
  });

  it("has no header twice in any list (S3 and Lambda take them as given)", () => {
    for (const rule of [rules.api, rules.bucket]) {
      for (const list of [rule.allowHeaders, rule.exposeHeaders]) {
        expect(new Set(list).size).to.equal(list.length);
      }
    }
  });
});
