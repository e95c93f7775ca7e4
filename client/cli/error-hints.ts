import { ApiError, ApiUnreachable } from "../api";

/** Where a failure came from, as it changes what an error code means. */
export type ErrorSource = "api" | "storage" | "cdn";

const API_HINTS: Record<string, string> = {
  ECONNREFUSED:
    "nothing listens there: start the local stack (npm start), or point --api-url (SFS_API_URL) at a deployment's function URL (pulumi stack output apiUrl)",
  ENOTFOUND: "the host name does not resolve: check --api-url (SFS_API_URL) for a typo",
  Unauthorized:
    "no valid token: pass --token (or SFS_TOKEN) with an unexpired JWT from the issuer the deployment trusts",
  Forbidden:
    "the token's rules do not let it do this to this key: check the key's prefix, or use a token that may",
  HttpError403:
    "the function URL refused the request before the function ran: with auth iam, sign with --iam and credentials allowed lambda:InvokeFunctionUrl and lambda:InvokeFunction",
  InvalidKey:
    'keys are 1 to 1024 bytes of UTF-8 without control characters and without empty, "." or ".." segments',
  InvalidExpires:
    "the deployment caps how long a read URL may live (maxReadExpirySeconds): ask for a shorter --expires",
  NoSuchKey:
    "nothing is stored under this key: check its spelling (keys are case-sensitive) or whether it was deleted",
  NoSuchUpload:
    "the multipart upload was completed, aborted or expired (incomplete uploads are kept 7 days); run put again to start afresh",
  PayloadTooLarge: "the file is larger than the deployment accepts (maxUploadBytes)",
  UnsupportedMediaType:
    "the deployment accepts only some content types: pass an allowed one with --content-type",
  EntityTooSmall: "every part but the last must be at least 5 MiB: use a larger --part-size",
  PreconditionFailed:
    "the key already holds an object and --if-absent was given: pick another key, or drop --if-absent to replace it",
  ServiceUnavailable:
    "a service the API depends on (S3, the token issuer's keys) is down; run the command again in a few minutes",
  InternalError:
    "the API failed on its side; the function's log (or the local stack's output) has the detail",
  NoSuchVersion:
    "no version with that ID is stored for this key (a version ID belongs to one key): sfstore versions KEY lists them",
  InvalidVersionId: "a version ID is one that sfstore versions KEY prints: copy it from there whole",
  InvalidLimit: "a listing page holds 1 to 1000 entries: ask for a pageSize within that",
  InvalidToken:
    "a listing continues only from the next token of its own previous page: list again from the start",
  InvalidCopySource:
    "the copy's source must be a key's path, optionally with ?versionId=V: check SRC and --version",
  InvalidCopy: "a copy sends no body: the source is named in Copy-Source only",
  InvalidMove: "a move needs a destination other than its source: name another DEST",
  InvalidBody:
    "the API did not understand the request's JSON body: sfstore and the deployment may be of different releases",
  InvalidQuery:
    "the API did not understand the request's query: sfstore and the deployment may be of different releases",
  InvalidChecksum:
    "the API refused the checksum sfstore sent: sfstore and the deployment may be of different releases",
  ChecksumRequired:
    "this store requires a checksum on every write: sfstore sends one, so the deployment and sfstore may be of different releases",
  InvalidationFailed:
    "the versions are deleted but the CDN could not be told to forget them: run the same sfstore rm --purge again",
};

const STORAGE_HINTS: Record<string, string> = {
  AccessDenied:
    "S3 refused the signed URL: the function's role may not do this on the bucket, the bucket policy denies it, or the URL was altered",
  ExpiredToken:
    "the temporary credentials that signed the URL expired before it was used; run the command again for a freshly signed URL",
  SignatureDoesNotMatch:
    "the request differs from what was signed: a proxy or a changed header (Content-Type, Content-Disposition, x-amz-meta-*) altered it",
  InvalidAccessKeyId:
    "S3 does not know the key that signed the URL: the function's credentials were deleted or rotated, or the URL is for another endpoint",
  RequestTimeTooSkewed:
    "the clock that signed the request is more than 15 minutes off S3's: sync this machine's clock (NTP) when it signs",
  NoSuchKey:
    "the object is gone: it was deleted after the API looked it up, or never stored; sfstore stat KEY checks",
  NoSuchBucket:
    "the bucket the API signs for does not exist: the stack was destroyed or half deployed (pulumi up)",
  EntityTooLarge:
    "the body is larger than the signed upload allows (its signed length, or S3's 5 GiB for one PUT): lower --multipart-threshold to send parts",
  EntityTooSmall: "every part but the last must be at least 5 MiB: use a larger --part-size",
  PreconditionFailed: API_HINTS.PreconditionFailed as string,
  SlowDown: "S3 asked to slow down through every retry: run the command again later (an upload resumes)",
  ServiceUnavailable:
    "S3 was unavailable through every retry: run the command again later (an upload resumes)",
  InternalError: "S3 failed through every retry: run the command again later (an upload resumes)",
  RequestTimeout:
    "the connection stalled for too long: a slow or broken network; run the command again (an upload resumes)",
  IncompleteBody: "the connection closed before the whole body arrived; run the command again",
  BadDigest:
    "storage computed another checksum than the one signed: the bytes changed on the way, or the file changed while it was read; run the command again",
  ECONNREFUSED:
    "nothing listens at the address the API signed the URL for: the storage (the local stack's, or its --s3-endpoint) is down, or the API is configured with an endpoint this machine cannot reach",
  ENOTFOUND:
    "the host in the signed URL does not resolve from this machine: check DNS, or the endpoint the API is configured with",
};

const CDN_HINTS: Record<string, string> = {
  ...STORAGE_HINTS,
  AccessDenied:
    "CloudFront refused the signed URL: it has expired (a share link lasts its --expires), was cut short or altered when copied, or the deployment's signing key changed; ask for a new one",
  MissingKey: "the URL lacks CloudFront's Key-Pair-Id: it was cut short when copied",
};

function sourceOf(error: Error): ErrorSource {
  if (error instanceof ApiError || error instanceof ApiUnreachable) return "api";
  // Transfer errors say where they came from in their message (see download.ts and file-ranges.ts).
  return / from the CDN$/.test(error.message) ? "cdn" : "storage";
}

/** A one-line likely cause (and fix) for a failure, or undefined when there is nothing useful to add. */
export function hintFor(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, status } = error as { code?: string; status?: number };
  if (code === undefined) return undefined;
  if (error instanceof ApiUnreachable) return API_HINTS[error.reason];
  if (code === "ChecksumMismatch") {
    return "the bytes changed on the way from the CDN, or the stored copy is damaged: run sfstore get again, and if it fails the same way, the object needs to be uploaded again";
  }
  switch (sourceOf(error)) {
    case "api":
      return API_HINTS[code === "HttpError" && status === 403 ? "HttpError403" : code];
    case "cdn":
      return CDN_HINTS[code];
    case "storage":
      return / from storage$/.test(error.message) ? STORAGE_HINTS[code] : undefined;
  }
}

/** The likely cause of an API error code met without an error object: one key of a batch delete. */
export function apiHint(code: string): string | undefined {
  return Object.hasOwn(API_HINTS, code) ? API_HINTS[code] : undefined;
}
