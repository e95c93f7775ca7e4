/**
 * Signing speed, measured side by side in one run and printed as ratios (never a pass/fail
 * threshold: absolute numbers depend on the machine). `npm run bench`.
 *
 * CloudFront: the handler's signer with the key parsed once into a KeyObject, against the same
 * signer parsing the PEM on every call (what most samples do) and against @aws-sdk/cloudfront-signer.
 * S3: the handler's direct SigV4 presign against @aws-sdk/s3-request-presigner with an S3Client.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkCloudFrontUrl } from "@aws-sdk/cloudfront-signer";
import { getSignedUrl as sdkPresign } from "@aws-sdk/s3-request-presigner";
import { signCloudFrontUrl } from "../functions/cloudfront-signer";
import { S3Presigner } from "../functions/s3-presigner";

const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const RESOURCE = "https://d111111abcdef8.cloudfront.net/photos/cat.png";
const expires = Math.floor(Date.now() / 1000) + 300;

async function measure(name: string, fn: () => unknown | Promise<unknown>, millis = 1500): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let count = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(millis) * 1_000_000n;
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 50; i++) await fn();
    count += 50;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = count / seconds;
  console.log(`  ${name.padEnd(58)} ${rate.toFixed(0).padStart(8)} signatures/s`);
  return rate;
}

function pem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

async function main(): Promise<void> {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const ecPem = pem(ec);
  const rsaPem = pem(rsa);

  console.log("CloudFront signed URLs (canned policy)");
  const ecOnce = await measure("ECDSA P-256, KeyObject parsed once (the handler)", () =>
    signCloudFrontUrl(RESOURCE, { keyPairId: "K1", privateKey: ec }, expires, "SHA256"),
  );
  const ecEach = await measure("ECDSA P-256, PEM parsed per call", () =>
    signCloudFrontUrl(RESOURCE, { keyPairId: "K1", privateKey: createPrivateKey(ecPem) }, expires, "SHA256"),
  );
  const rsaOnce = await measure("RSA-2048, KeyObject parsed once (the handler)", () =>
    signCloudFrontUrl(RESOURCE, { keyPairId: "K1", privateKey: rsa }, expires, "SHA256"),
  );
  const sdk = await measure("RSA-2048, @aws-sdk/cloudfront-signer (PEM per call)", () =>
    sdkCloudFrontUrl({
      url: RESOURCE,
      keyPairId: "K1",
      privateKey: rsaPem,
      dateLessThan: new Date(expires * 1000),
    }),
  );
  console.log(`  ratios: ECDSA once / ECDSA PEM per call = ${(ecOnce / ecEach).toFixed(2)}x`);
  console.log(`          ECDSA once / RSA once            = ${(ecOnce / rsaOnce).toFixed(2)}x`);
  console.log(`          ECDSA once / SDK (RSA)           = ${(ecOnce / sdk).toFixed(2)}x`);
  console.log(`          RSA once / SDK (RSA)             = ${(rsaOnce / sdk).toFixed(2)}x`);

  console.log("S3 presigned PUT");
  const now = new Date();
  const presigner = new S3Presigner({ bucket: "files-bucket", region: "eu-west-1" }, async () => credentials);
  const ours = await measure("SigV4 directly (the handler)", () =>
    presigner.presign({ method: "PUT", key: "photos/cat.png", expiresInSeconds: 300, now }),
  );
  const client = new S3Client({
    region: "eu-west-1",
    credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const theirs = await measure("@aws-sdk/s3-request-presigner with S3Client", () =>
    sdkPresign(client, new PutObjectCommand({ Bucket: "files-bucket", Key: "photos/cat.png" }), {
      expiresIn: 300,
    }),
  );
  console.log(`  ratio: direct / s3-request-presigner = ${(ours / theirs).toFixed(2)}x`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
