import { PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkCloudFrontUrl } from "@aws-sdk/cloudfront-signer";
import { getSignedUrl as sdkPresign } from "@aws-sdk/s3-request-presigner";
import { expect } from "chai";
import { readResource } from "../../../functions/routes/read-url";
import {
  type CloudFrontHashAlgorithm,
  signCloudFrontUrl,
} from "../../../functions/signers/cloudfront-signer";
import { S3Presigner } from "../../../functions/signers/s3-presigner";
import { verifySignedUrl } from "../../../local/edge/cloudfront-verify";
import { verifyPresigned } from "../../../local/sigv4";
import { ecdsaKey, rsaKey, type TestKeyPair } from "../../support/keys";

/**
 * Our signers against the AWS SDK's, for the same inputs: one verifier accepts both, and where the
 * algorithm is deterministic (RSA PKCS#1 v1.5, SigV4) the outputs are the same bytes once the
 * differences the SDK makes on purpose are accounted for, each of which is pinned here.
 */
const KEYS = [
  "photos/cat 1.png",
  "a+b.txt",
  "100%.txt",
  "k=v.txt",
  "star*.txt",
  "hash#tag.txt",
  "what?.txt",
  "猫/über ü.png",
  "dir/a b+c%d=e*f#g?h ü.png",
];
const CDN = "https://d111111abcdef8.cloudfront.net";
const KEY_PAIR_ID = "K2JCJMDEHXQW5F";
const NOW = new Date("2026-11-22T10:00:00Z");
const EXPIRES = Math.floor(NOW.getTime() / 1000) + 300;
const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "session/token+=",
};
const BUCKET = "files-bucket-1234";
const REGION = "eu-west-1";

const pem = (key: TestKeyPair) => key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

function edgeAccepts(url: string, key: TestKeyPair): boolean {
  const verdict = verifySignedUrl(
    new URL(url),
    new Map([[KEY_PAIR_ID, key.publicKey]]),
    EXPIRES - 1,
    "198.51.100.7",
  );
  return verdict.ok;
}

function s3Accepts(url: string): boolean {
  const parsed = new URL(url);
  const verdict = verifyPresigned(
    {
      method: "PUT",
      rawPath: parsed.pathname,
      rawQuery: parsed.search.slice(1),
      headers: { host: parsed.host },
    },
    (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined),
    new Date(NOW.getTime() + 1000),
  );
  return verdict.ok;
}

/** The query's `name=value` pairs as written, in order. */
const pairs = (url: string) => new URL(url).search.slice(1).split("&");
const withoutQuery = (url: string) => url.slice(0, url.indexOf("?"));

describe("our signers against the AWS SDK's", () => {
  describe("CloudFront: functions/cloudfront-signer against @aws-sdk/cloudfront-signer", () => {
    for (const key of KEYS) {
      const resource = readResource(CDN, { key, size: 1, etag: '"e"', versionId: "3HL4kqtJvjVBH40Nrjfkd" });
      // The SDK decodes each path segment and encodes it again with encodeURIComponent, which leaves
      // `*` bare; our keys are encoded with RFC 3986's unreserved set only, so `*` is `%2A`.
      const sdkResource = resource.replace(/%2A/g, "*");

      for (const algorithm of ["SHA1", "SHA256"] as const satisfies readonly CloudFrontHashAlgorithm[]) {
        it(`${JSON.stringify(key)}, RSA with ${algorithm}: the same signature, the parameters in another order`, () => {
          const sdk = sdkCloudFrontUrl({
            url: resource,
            keyPairId: KEY_PAIR_ID,
            privateKey: pem(rsaKey),
            dateLessThan: new Date(EXPIRES * 1000),
            algorithm,
          });
          const ours = signCloudFrontUrl(
            resource,
            { keyPairId: KEY_PAIR_ID, privateKey: rsaKey.privateKey },
            EXPIRES,
            algorithm,
          );
          const oursForSdkResource = signCloudFrontUrl(
            sdkResource,
            { keyPairId: KEY_PAIR_ID, privateKey: rsaKey.privateKey },
            EXPIRES,
            algorithm,
          );
          expect(edgeAccepts(ours, rsaKey)).to.equal(true);
          expect(edgeAccepts(sdk, rsaKey)).to.equal(true);
          expect(withoutQuery(sdk)).to.equal(withoutQuery(sdkResource));
          // CloudFront reads the signing parameters by name, so their order is free: the SDK writes
          // Key-Pair-Id before Signature, we write it after.
          const signature = pairs(oursForSdkResource).find((p) => p.startsWith("Signature="));
          const hash = algorithm === "SHA256" ? "&Hash-Algorithm=SHA256" : "";
          expect(sdk).to.equal(
            `${sdkResource}&Expires=${EXPIRES}&Key-Pair-Id=${KEY_PAIR_ID}&${signature}${hash}`,
          );
          expect(ours === oursForSdkResource).to.equal(!key.includes("*"));
        });
      }

      it(`${JSON.stringify(key)}, ECDSA P-256 with SHA256: both verify (ECDSA signatures are randomised)`, () => {
        const sdk = sdkCloudFrontUrl({
          url: resource,
          keyPairId: KEY_PAIR_ID,
          privateKey: pem(ecdsaKey),
          dateLessThan: new Date(EXPIRES * 1000),
          algorithm: "SHA256",
        });
        const ours = signCloudFrontUrl(
          resource,
          { keyPairId: KEY_PAIR_ID, privateKey: ecdsaKey.privateKey },
          EXPIRES,
        );
        expect(edgeAccepts(ours, ecdsaKey)).to.equal(true);
        expect(edgeAccepts(sdk, ecdsaKey)).to.equal(true);
        expect(edgeAccepts(ours, rsaKey)).to.equal(false);
      });
    }
  });

  describe("S3: functions/s3-presigner against @aws-sdk/s3-request-presigner", () => {
    const presigner = new S3Presigner({ bucket: BUCKET, region: REGION }, async () => CREDENTIALS);
    const client = (requestChecksumCalculation: "WHEN_REQUIRED" | "WHEN_SUPPORTED") =>
      new S3Client({ region: REGION, credentials: CREDENTIALS, requestChecksumCalculation });
    const whenRequired = client("WHEN_REQUIRED");
    const whenSupported = client("WHEN_SUPPORTED");
    /** What the SDK's URL carries that ours does not, besides the signature itself. */
    const sdkOnly = (operation: string) => ["X-Amz-Content-Sha256=UNSIGNED-PAYLOAD", `x-id=${operation}`];

    for (const key of KEYS) {
      it(`${JSON.stringify(key)}, PutObject: one verifier accepts both, the same bytes given the SDK's two extra parameters`, async () => {
        const ours = await presigner.presign({ method: "PUT", key, expiresInSeconds: 300, now: NOW });
        const sdk = await sdkPresign(whenRequired, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
          expiresIn: 300,
          signingDate: NOW,
        });
        expect(s3Accepts(ours)).to.equal(true);
        expect(s3Accepts(sdk)).to.equal(true);
        expect(withoutQuery(sdk)).to.equal(withoutQuery(ours));
        const unsigned = (list: string[]) => list.filter((p) => !p.startsWith("X-Amz-Signature="));
        expect(unsigned(pairs(sdk)).filter((p) => !unsigned(pairs(ours)).includes(p))).to.deep.equal(
          sdkOnly("PutObject"),
        );
        expect(unsigned(pairs(ours)).filter((p) => !pairs(sdk).includes(p))).to.deep.equal([]);
        // Given the same query, SigV4 signs the same canonical request: the same signature. The SDK
        // writes the query sorted, as the canonical request orders it.
        const same = await presigner.presign({
          method: "PUT",
          key,
          query: { "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", "x-id": "PutObject" },
          expiresInSeconds: 300,
          now: NOW,
        });
        expect(`${withoutQuery(same)}?${pairs(same).sort().join("&")}`).to.equal(sdk);
      });
    }

    it("UploadPart: the same bytes given the SDK's extra parameters, the part's query included", async () => {
      const key = "dir/a b+c%d=e*f#g?h ü.png";
      const uploadId = "2~up/load+id=";
      const sdk = await sdkPresign(
        whenRequired,
        new UploadPartCommand({ Bucket: BUCKET, Key: key, PartNumber: 3, UploadId: uploadId }),
        { expiresIn: 300, signingDate: NOW },
      );
      const query = { partNumber: "3", uploadId };
      const ours = await presigner.presign({ method: "PUT", key, query, expiresInSeconds: 300, now: NOW });
      const same = await presigner.presign({
        method: "PUT",
        key,
        query: { ...query, "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD", "x-id": "UploadPart" },
        expiresInSeconds: 300,
        now: NOW,
      });
      expect(s3Accepts(ours)).to.equal(true);
      expect(s3Accepts(sdk)).to.equal(true);
      expect(`${withoutQuery(same)}?${pairs(same).sort().join("&")}`).to.equal(sdk);
    });

    it("with the SDK's default checksum setting, its URL also carries an empty body's CRC32, which ours never does", async () => {
      const key = "photos/cat 1.png";
      const required = await sdkPresign(whenRequired, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 300,
        signingDate: NOW,
      });
      const supported = await sdkPresign(whenSupported, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 300,
        signingDate: NOW,
      });
      const unsigned = (url: string) => pairs(url).filter((p) => !p.startsWith("X-Amz-Signature="));
      expect(unsigned(supported).filter((p) => !unsigned(required).includes(p))).to.deep.equal([
        "x-amz-checksum-crc32=AAAAAA%3D%3D",
        "x-amz-sdk-checksum-algorithm=CRC32",
      ]);
      expect(s3Accepts(supported)).to.equal(true);
    });
  });
});
