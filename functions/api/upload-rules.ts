import type { DeclaredChecksum, MultipartChecksum } from "./checksum-headers";
import { CHECKSUM_HEADERS } from "./checksums";
import { BadRequest, LengthRequired, PayloadTooLarge, UnsupportedMediaType } from "./http-error";
import { hasControlCharacter } from "./object-key";

/** S3's limits (Amazon S3 User Guide, "Amazon S3 multipart upload limits"). */
export const S3_LIMITS = {
  singlePutBytes: 5 * 1024 ** 3,
  objectBytes: 5 * 1024 ** 4,
  minPartBytes: 5 * 1024 ** 2,
  maxPartBytes: 5 * 1024 ** 3,
  maxParts: 10_000,
} as const;

export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 ** 2;

export interface UploadLimits {
  /** Largest object accepted, single or multipart. S3's own 5 TiB when not configured. */
  readonly maxUploadBytes: number;
  /** `type/subtype` or `type/*`, lower case; empty means any type. */
  readonly allowedContentTypes: readonly string[];
  /** The part size offered to multipart clients (raised when the upload would need more parts). */
  readonly partSizeBytes: number;
  /** Every write must declare the checksum of its bytes (`x-amz-checksum-*`), which S3 then verifies. */
  readonly requireChecksum: boolean;
  /**
   * User metadata names (`x-amz-meta-NAME`, lower case) an upload may set; none unless listed, since
   * every name is a header the API's and the bucket's CORS rules must admit.
   */
  readonly allowedMetadata: readonly string[];
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxUploadBytes: S3_LIMITS.objectBytes,
  allowedContentTypes: [],
  partSizeBytes: DEFAULT_PART_SIZE_BYTES,
  requireChecksum: false,
  allowedMetadata: [],
};

export const METADATA_PREFIX = "x-amz-meta-";
/**
 * S3 keeps at most 2 KB of user metadata, counted as the UTF-8 bytes of every name and value (Amazon
 * S3 User Guide, "Working with object metadata", "User-defined object metadata").
 */
export const MAX_METADATA_BYTES = 2048;
/** A metadata name: a lower-case HTTP token (RFC 9110, 5.6.2) without the prefix. */
export const METADATA_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
const UTF8 = new TextEncoder();

/** The header a client declares its upload's size with when the request carries no body (JSON mode, multipart). */
export const UPLOAD_LENGTH_HEADER = "upload-length";
/** What an upload request says about the object; every field present is signed or stored. */
export interface UploadDescription {
  readonly contentType?: string;
  readonly contentDisposition?: string;
  /** Bytes the client will send, when it said. */
  readonly length?: number;
  /** A single PUT's checksum of its bytes, signed so that S3 refuses any other bytes. */
  readonly checksum?: DeclaredChecksum;
  /** A multipart upload's algorithm and type, named to CreateMultipartUpload. */
  readonly multipartChecksum?: MultipartChecksum;
  /** User metadata by lower-case name without `x-amz-meta-`, each one the store allows. */
  readonly metadata?: Readonly<Record<string, string>>;
}

type Headers = Readonly<Record<string, string | undefined>>;

function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

export function contentTypeAllowed(contentType: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const type = mediaType(contentType);
  return allowed.some((a) => (a.endsWith("/*") ? type.startsWith(a.slice(0, -1)) : type === a));
}

function declaredLength(headers: Headers, bodyLength: number): number | undefined {
  const declared = headers[UPLOAD_LENGTH_HEADER];
  if (declared !== undefined) {
    if (!/^\d{1,16}$/.test(declared.trim())) {
      throw new BadRequest(
        "InvalidUploadLength",
        `Upload-Length must be a whole number of bytes, got "${declared}"`,
      );
    }
    return Number(declared.trim());
  }
  // A body sent to the function (curl -L -T) is the body the redirect will send again.
  return bodyLength > 0 ? bodyLength : undefined;
}

/**
 * Reads and checks an upload's headers before anything is signed: 415 for a type the store does not
 * take, 413 for a size over the limit, 400 for a malformed disposition. Checksums are read by
 * checksum-headers.ts, differently for a PUT, a part and a multipart upload.
 */
export function describeUpload(
  headers: Headers,
  limits: UploadLimits,
  bodyLength: number,
): UploadDescription {
  const contentType = headers["content-type"]?.trim() || undefined;
  if (limits.allowedContentTypes.length > 0) {
    const allowed = limits.allowedContentTypes.join(", ");
    if (contentType === undefined) {
      throw new UnsupportedMediaType(`a Content-Type header is required; this store accepts ${allowed}`);
    }
    if (!contentTypeAllowed(contentType, limits.allowedContentTypes)) {
      throw new UnsupportedMediaType(
        `content type "${mediaType(contentType)}" is not accepted; this store accepts ${allowed}`,
      );
    }
  }
  const contentDisposition = headers["content-disposition"]?.trim() || undefined;
  if (
    contentDisposition !== undefined &&
    (contentDisposition.length > 1024 || hasControlCharacter(contentDisposition))
  ) {
    throw new BadRequest(
      "InvalidContentDisposition",
      "Content-Disposition must be at most 1024 characters without control characters",
    );
  }
  const length = declaredLength(headers, bodyLength);
  if (length !== undefined && length > limits.maxUploadBytes) {
    throw new PayloadTooLarge(
      `the upload is ${length} bytes; this store accepts at most ${limits.maxUploadBytes} bytes`,
    );
  }
  const metadata = userMetadata(headers, limits.allowedMetadata);
  return {
    ...(contentType === undefined ? {} : { contentType }),
    ...(contentDisposition === undefined ? {} : { contentDisposition }),
    ...(length === undefined ? {} : { length }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/**
 * The upload's `x-amz-meta-*` headers, each signed into the URL (S3 refuses an unsigned one), so
 * only names the store allows are taken: another is 400, not silently dropped, so a client learns
 * that its field was not kept. Values are ASCII text (RFC 2047 words for anything else, as S3
 * clients send them), within S3's 2 KB.
 */
function userMetadata(headers: Headers, allowed: readonly string[]): Record<string, string> | undefined {
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith(METADATA_PREFIX) || value === undefined) continue;
    const name = header.slice(METADATA_PREFIX.length);
    if (!allowed.includes(name)) {
      throw new BadRequest(
        "InvalidMetadata",
        allowed.length === 0
          ? `this store keeps no user metadata; remove ${header}`
          : `${header} is not kept by this store; it keeps ${allowed.map((n) => METADATA_PREFIX + n).join(", ")}`,
      );
    }
    if (!/^[\x20-\x7e]*$/.test(value)) {
      throw new BadRequest(
        "InvalidMetadata",
        `${header} must be printable ASCII; send other text as an RFC 2047 encoded word (=?UTF-8?B?...?=)`,
      );
    }
    metadata[name] = value.trim();
    bytes += UTF8.encode(name).length + UTF8.encode(value.trim()).length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new BadRequest(
      "MetadataTooLarge",
      `user metadata is ${bytes} bytes; S3 keeps at most ${MAX_METADATA_BYTES} (names and values)`,
    );
  }
  return Object.keys(metadata).length === 0 ? undefined : metadata;
}

/** Extra checks for a single PUT: its size is signed as Content-Length, so S3 refuses any other. */
export function checkSinglePut(upload: UploadDescription, limits: UploadLimits): void {
  if (upload.length === undefined) {
    if (limits.maxUploadBytes < S3_LIMITS.objectBytes) {
      throw new LengthRequired(
        `this store limits uploads to ${limits.maxUploadBytes} bytes; send Upload-Length (the file's size in bytes) so the limit can be signed into the upload URL`,
      );
    }
    return;
  }
  if (upload.length > S3_LIMITS.singlePutBytes) {
    throw new PayloadTooLarge(
      `a single PUT is limited to ${S3_LIMITS.singlePutBytes} bytes (5 GiB) by S3; upload ${upload.length} bytes in parts, starting with POST ?uploads`,
    );
  }
}

/**
 * The part size to offer: the configured one, raised to the next MiB when the upload would
 * otherwise need more than S3's 10,000 parts.
 */
export function partSizeFor(length: number | undefined, limits: UploadLimits): number {
  const mib = 1024 ** 2;
  const needed = length === undefined ? 0 : Math.ceil(length / S3_LIMITS.maxParts / mib) * mib;
  return Math.max(limits.partSizeBytes, needed);
}

/** The headers an upload request to S3 must carry, by lower-case name. */
export function signedUploadHeaders(upload: UploadDescription): Record<string, string> {
  return {
    ...(upload.contentType === undefined ? {} : { "content-type": upload.contentType }),
    ...(upload.contentDisposition === undefined ? {} : { "content-disposition": upload.contentDisposition }),
    ...(upload.checksum === undefined
      ? {}
      : { [CHECKSUM_HEADERS[upload.checksum.algorithm]]: upload.checksum.value }),
    ...(upload.length === undefined ? {} : { "content-length": String(upload.length) }),
    ...Object.fromEntries(
      Object.entries(upload.metadata ?? {}).map(([name, value]) => [METADATA_PREFIX + name, value]),
    ),
  };
}

/**
 * The signed headers a client must send, in canonical case. Content-Length stays signed, so storage
 * refuses any other size, but is not listed: browsers set it from the body and refuse it from a
 * script (Fetch standard, "forbidden request-header"); curl -T and the Node client also take it
 * from the body.
 */
export function headersToSend(signed: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(signed)
      .filter(([name]) => name !== "content-length")
      .map(([name, value]) => [canonicalHeaderName(name), value]),
  );
}

function canonicalHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
