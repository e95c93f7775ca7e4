import { expect } from "chai";
import { S3Presigner, type S3Target } from "../../../functions/signers/s3-presigner";
import { verifyPresigned } from "../../../local/sigv4";

const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const NOW = new Date("2026-11-23T12:00:00Z");

async function presignPut(target: S3Target): Promise<URL> {
  const presigner = new S3Presigner(target, async () => CREDENTIALS);
  return new URL(
    await presigner.presign({ method: "PUT", key: "photos/cat.png", expiresInSeconds: 300, now: NOW }),
  );
}

describe("S3 presigner endpoints", () => {
  const cases: Array<[string, S3Target, string]> = [
    [
      "the aws partition by default",
      { bucket: "files-b", region: "eu-west-1" },
      "files-b.s3.eu-west-1.amazonaws.com",
    ],
    [
      "the partition's DNS suffix when given (China)",
      { bucket: "files-b", region: "cn-north-1", dnsSuffix: "amazonaws.com.cn" },
      "files-b.s3.cn-north-1.amazonaws.com.cn",
    ],
    [
      "the aws-us-gov partition, whose suffix is amazonaws.com",
      { bucket: "files-b", region: "us-gov-west-1", dnsSuffix: "amazonaws.com" },
      "files-b.s3.us-gov-west-1.amazonaws.com",
    ],
  ];
  for (const [what, target, host] of cases) {
    it(`signs for ${what}: ${host}`, async () => {
      const url = await presignPut(target);
      expect(url.protocol).to.equal("https:");
      expect(url.host).to.equal(host);
      expect(url.pathname).to.equal("/photos/cat.png");
      expect(url.searchParams.get("X-Amz-Credential")).to.equal(
        `AKIDEXAMPLE/20261123/${target.region}/s3/aws4_request`,
      );
      // The host is signed: the URL verifies with that host and no other.
      const request = (h: string) => ({
        method: "PUT",
        rawPath: url.pathname,
        rawQuery: url.search.slice(1),
        headers: { host: h },
      });
      const secretFor = (id: string) =>
        id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined;
      expect(
        verifyPresigned(request(host), secretFor, NOW, { service: "s3", region: target.region }),
      ).to.include({
        ok: true,
      });
      const other = host.endsWith(".cn") ? host.slice(0, -3) : `${host}.cn`;
      expect(verifyPresigned(request(other), secretFor, NOW).ok).to.equal(false);
    });
  }

  it("keeps a custom endpoint path-style, whatever the DNS suffix", async () => {
    const url = await presignPut({
      bucket: "files-b",
      region: "cn-north-1",
      endpoint: "http://127.0.0.1:9000",
      dnsSuffix: "amazonaws.com.cn",
    });
    expect(`${url.origin}${url.pathname}`).to.equal("http://127.0.0.1:9000/files-b/photos/cat.png");
  });
});
