/**
 * `npm run bench`: signing speed, the warm handler and the cold start, each measured side by side in
 * one run and printed as ratios with their spread over rounds (never a pass/fail threshold: absolute
 * numbers depend on the machine).
 *
 * CloudFront: the handler's signer with the key parsed once into a KeyObject, against the same
 * signer parsing the PEM on every call (what most samples do) and against @aws-sdk/cloudfront-signer.
 * S3: the handler's direct SigV4 presign against @aws-sdk/s3-request-presigner with an S3Client.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl as sdkCloudFrontUrl } from "@aws-sdk/cloudfront-signer";
import { getSignedUrl as sdkPresign } from "@aws-sdk/s3-request-presigner";
import { signCloudFrontUrl } from "../functions/signers/cloudfront-signer";
import { S3Presigner } from "../functions/signers/s3-presigner";
import { coldStart } from "./cold-start";
import { dataPath } from "./data-path";
import { listing } from "./listing";
import { line, rates, ratios, showSpread, spread } from "./stats";
import { warmHandler } from "./warm-handler";

const ROUNDS = 5;
const MILLIS = 300;
const credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const RESOURCE = "https://d111111abcdef8.cloudfront.net/photos/cat.png";
const expires = Math.floor(Date.now() / 1000) + 300;

function pem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

async function signing(): Promise<void> {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const ecPem = pem(ec);
  const rsaPem = pem(rsa);
  const now = new Date();
  const presigner = new S3Presigner({ bucket: "files-bucket", region: "eu-west-1" }, async () => credentials);
  const client = new S3Client({
    region: "eu-west-1",
    credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });

  const r = await rates(
    {
      ecOnce: () => signCloudFrontUrl(RESOURCE, { keyPairId: "K1", privateKey: ec }, expires, "SHA256"),
      ecEach: () =>
        signCloudFrontUrl(
          RESOURCE,
          { keyPairId: "K1", privateKey: createPrivateKey(ecPem) },
          expires,
          "SHA256",
        ),
      rsaOnce: () => signCloudFrontUrl(RESOURCE, { keyPairId: "K1", privateKey: rsa }, expires, "SHA256"),
      sdkCloudFront: () =>
        sdkCloudFrontUrl({
          url: RESOURCE,
          keyPairId: "K1",
          privateKey: rsaPem,
          dateLessThan: new Date(expires * 1000),
        }),
      ours: () => presigner.presign({ method: "PUT", key: "photos/cat.png", expiresInSeconds: 300, now }),
      sdkPresign: () =>
        sdkPresign(client, new PutObjectCommand({ Bucket: "files-bucket", Key: "photos/cat.png" }), {
          expiresIn: 300,
        }),
    },
    ROUNDS,
    MILLIS,
  );
  const perSecond = (values: number[]) => showSpread(spread(values), 0, "/s");
  const ratio = (a: number[], b: number[]) => showSpread(spread(ratios(a, b)));
  console.log(`CloudFront signed URLs (canned policy), ${ROUNDS} rounds taking turns`);
  line("ECDSA P-256, KeyObject parsed once (the handler)", perSecond(r.ecOnce));
  line("ECDSA P-256, PEM parsed per call", perSecond(r.ecEach));
  line("RSA-2048, KeyObject parsed once (the handler)", perSecond(r.rsaOnce));
  line("RSA-2048, @aws-sdk/cloudfront-signer (PEM per call)", perSecond(r.sdkCloudFront));
  line("ECDSA once / ECDSA PEM per call", ratio(r.ecOnce, r.ecEach));
  line("ECDSA once / RSA once", ratio(r.ecOnce, r.rsaOnce));
  line("ECDSA once / SDK (RSA)", ratio(r.ecOnce, r.sdkCloudFront));
  line("RSA once / SDK (RSA)", ratio(r.rsaOnce, r.sdkCloudFront));
  console.log("S3 presigned PUT");
  line("SigV4 directly (the handler)", perSecond(r.ours));
  line("@aws-sdk/s3-request-presigner with S3Client", perSecond(r.sdkPresign));
  line("direct / s3-request-presigner", ratio(r.ours, r.sdkPresign));
}

async function main(): Promise<void> {
  // As in the local stack: the SDK's Node.js 20 notice would only interleave with the figures.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  await signing();
  await warmHandler();
  await coldStart();
  if (process.env.SFS_BENCH_LISTING !== "0") await listing();
  if (process.env.SFS_BENCH_DATA_MIB !== "0") await dataPath();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
