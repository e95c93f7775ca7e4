import type { ServerResponse } from "node:http";
import { sendXmlError } from "../../http/xml";

/**
 * The S3 errors the local storage answers, with S3's status and default message ("Error
 * Responses: List of error codes", Amazon S3 API Reference).
 */
const ERRORS = {
  AccessDenied: [403, "Access Denied"],
  BadDigest: [400, "The Content-MD5 you specified did not match what we received."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  IncompleteBody: [
    400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  ],
  // S3's answer to any failure on its side; the SDKs retry it. A full or failing disk is such a
  // failure: the client's request was fine and may succeed when retried.
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
  ],
  InvalidPartOrder: [
    400,
    "The list of parts was not in ascending order. Parts must be ordered by part number.",
  ],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  KeyTooLongError: [400, "Your key is too long."],
  MalformedXML: [
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
  ],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  NoSuchBucket: [404, "The specified bucket does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [
    404,
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
  ],
  NoSuchVersion: [404, "The specified version does not exist."],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented."],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold"],
  XAmzContentSHA256Mismatch: [
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  ],
} as const satisfies Record<string, readonly [number, string]>;

export type S3ErrorCode = keyof typeof ERRORS;

export function s3Status(code: S3ErrorCode): number {
  return ERRORS[code][0];
}

export function s3Message(code: S3ErrorCode): string {
  return ERRORS[code][1];
}

export function sendS3Error(
  res: ServerResponse,
  code: S3ErrorCode,
  options: { message?: string; headers?: Record<string, string>; details?: Record<string, string> } = {},
): void {
  const [status, message] = ERRORS[code];
  sendXmlError(res, status, code, options.message ?? message, options.headers, options.details);
}
