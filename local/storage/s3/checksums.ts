import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { checksumOf } from "../checksums/algorithms";
import { type ChecksumRefusal, givenChecksum, isRefusal, mismatch } from "./checksum-headers";
import { header } from "./request";

/**
 * For operations where S3 requires an integrity header (DeleteObjects: "The Content-MD5 or
 * x-amz-sdk-checksum-algorithm header is required for all Multi-Object Delete requests"): at least
 * one of Content-MD5 or an x-amz-checksum-* header, each one given well-formed and matching the
 * body. Resolves with S3's refusal, if any.
 */
export function checkBodyIntegrity(req: IncomingMessage, body: Buffer): ChecksumRefusal | undefined {
  const given = givenChecksum(req);
  if (isRefusal(given)) return given;
  const md5 = header(req, "content-md5");
  if (md5 === undefined && given === undefined) {
    return {
      code: "InvalidRequest",
      message: "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
    };
  }
  if (md5 !== undefined) {
    const bytes = Buffer.from(md5, "base64");
    if (bytes.length !== 16 || bytes.toString("base64") !== md5) {
      return { code: "InvalidDigest", message: "The Content-MD5 you specified is not valid." };
    }
    if (!bytes.equals(createHash("md5").update(body).digest())) {
      return { code: "BadDigest", message: "The Content-MD5 you specified did not match what we received." };
    }
  }
  if (given && checksumOf(given.algorithm, body) !== given.value) return mismatch(given.algorithm);
  return undefined;
}
