import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { disallowedXmlChar, MalformedXml } from "../../../functions/http/xml-text";
import type { LogSink } from "../../http/listen";
import { IncompleteBodyError } from "../store/durable-write";
import type { MultipartUploads } from "../store/multipart-uploads";
import type { ObjectAttributes, ObjectStore } from "../store/object-store";
import { sendS3Error } from "./errors";

/** What every S3 operation of the local storage works with. */
export interface StorageContext {
  readonly bucket: string;
  readonly store: ObjectStore;
  readonly uploads: MultipartUploads;
  readonly clock: () => Date;
  readonly log?: LogSink;
}

/** One verified request for an object (`key`) or for the bucket (`key` is ""). */
export interface S3Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly key: string;
  readonly query: URLSearchParams;
  /** A header-signed request's x-amz-content-sha256 when it is a real hash the body must match. */
  readonly bodySha256?: string;
  /**
   * Whether the caller holds s3:ListBucket. Without it S3 answers a key that does not exist with
   * 403 AccessDenied rather than 404, so that a reader cannot probe which keys exist (GetObject,
   * HeadObject: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status
   * code 403 Forbidden error").
   */
  readonly mayList: boolean;
}

const META_PREFIX = "x-amz-meta-";

/** "The object key name … can be up to 1,024 bytes long" (Amazon S3 User Guide, "Naming Amazon S3 objects"). */
export const MAX_KEY_BYTES = 1024;

/**
 * S3's answer to a key over 1,024 bytes of UTF-8, on every operation that names one: 400
 * KeyTooLongError with the key's size and the limit (never the key itself). Returns true when it
 * answered.
 */
export function refuseLongKey(res: ServerResponse, key: string): boolean {
  const size = Buffer.byteLength(key, "utf8");
  if (size <= MAX_KEY_BYTES) return false;
  sendS3Error(res, "KeyTooLongError", {
    details: { Size: String(size), MaxSizeAllowed: String(MAX_KEY_BYTES) },
  });
  return true;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** The attributes S3 stores from a PUT, CreateMultipartUpload or a REPLACE copy. */
export function attributesFrom(req: IncomingMessage): ObjectAttributes {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(META_PREFIX) && value !== undefined)
      metadata[name.slice(META_PREFIX.length)] = Array.isArray(value) ? value.join(",") : value;
  }
  const optional = (name: string) => header(req, name);
  const cacheControl = optional("cache-control");
  const contentDisposition = optional("content-disposition");
  const contentEncoding = optional("content-encoding");
  const contentLanguage = optional("content-language");
  const expires = optional("expires");
  return {
    // S3's type for an object stored without one.
    contentType: header(req, "content-type") ?? "binary/octet-stream",
    ...(cacheControl === undefined ? {} : { cacheControl }),
    ...(contentDisposition === undefined ? {} : { contentDisposition }),
    ...(contentEncoding === undefined ? {} : { contentEncoding }),
    ...(contentLanguage === undefined ? {} : { contentLanguage }),
    ...(expires === undefined ? {} : { expires }),
    metadata,
  };
}

/** The response headers S3 sends for stored attributes. */
export function attributeHeaders(attributes: ObjectAttributes): Record<string, string> {
  return {
    "content-type": attributes.contentType,
    ...(attributes.cacheControl === undefined ? {} : { "cache-control": attributes.cacheControl }),
    ...(attributes.contentDisposition === undefined
      ? {}
      : { "content-disposition": attributes.contentDisposition }),
    ...(attributes.contentEncoding === undefined ? {} : { "content-encoding": attributes.contentEncoding }),
    ...(attributes.contentLanguage === undefined ? {} : { "content-language": attributes.contentLanguage }),
    ...(attributes.expires === undefined ? {} : { expires: attributes.expires }),
    ...Object.fromEntries(Object.entries(attributes.metadata).map(([n, v]) => [META_PREFIX + n, v])),
  };
}

export function declaredLength(req: IncomingMessage): number | undefined {
  const declared = req.headers["content-length"];
  return declared === undefined ? undefined : Number(declared);
}

/**
 * S3 answers 411 MissingContentLength to an object or part PUT without Content-Length (a chunked
 * body): it must know an upload's size before it accepts it. Returns true when it answered.
 */
export function refuseWithoutLength(call: S3Call): boolean {
  if (call.req.headers["content-length"] !== undefined) return false;
  call.req.resume();
  sendS3Error(call.res, "MissingContentLength");
  return true;
}

/** Content-MD5 as S3 checks it: InvalidDigest when it is not a base64 MD5, BadDigest when it differs. */
export function contentMd5Problem(
  req: IncomingMessage,
  md5Hex: string,
): "InvalidDigest" | "BadDigest" | undefined {
  const given = header(req, "content-md5");
  if (given === undefined) return undefined;
  const bytes = Buffer.from(given, "base64");
  if (bytes.length !== 16 || bytes.toString("base64") !== given) return "InvalidDigest";
  return bytes.toString("hex") === md5Hex ? undefined : "BadDigest";
}

/**
 * A failed body write: the client's fault when its body broke off (400 IncompleteBody), ours
 * otherwise (500 InternalError, the detail only in the log). The rest of the body is discarded.
 */
export function answerWriteFailure(
  ctx: StorageContext,
  call: S3Call,
  error: unknown,
  fields: Record<string, unknown>,
): void {
  call.req.resume();
  const incomplete = error instanceof IncompleteBodyError;
  ctx.log?.({
    component: "storage",
    level: incomplete ? "warn" : "error",
    message: incomplete ? "upload cut short" : "upload not stored",
    ...fields,
    error: String(error),
  });
  if (call.res.headersSent) return;
  // The rest of the body may still be on its way: the connection cannot carry another request.
  sendS3Error(call.res, incomplete ? "IncompleteBody" : "InternalError", {
    ...(call.req.complete ? {} : { headers: { connection: "close" } }),
  });
}

/** A small request body (an XML document), refused above `limit` bytes. */
export async function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * A request's small XML body, or undefined once the refusal is sent: MalformedXML above `limit`
 * bytes, XAmzContentSHA256Mismatch when a header-signed body is not the one that was signed.
 */
export async function readXmlBody(call: S3Call, limit: number): Promise<Buffer | undefined> {
  const body = await readSmallBody(call.req, limit);
  if (body === undefined) {
    sendS3Error(call.res, "MalformedXML");
    return undefined;
  }
  if (call.bodySha256 !== undefined && createHash("sha256").update(body).digest("hex") !== call.bodySha256) {
    sendS3Error(call.res, "XAmzContentSHA256Mismatch");
    return undefined;
  }
  return body;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A request body as an XML document's text, or undefined once 400 MalformedXML is sent: bytes that
 * are not UTF-8, or a character XML does not allow anywhere in it (U+0001, U+FFFF, …: XML 1.0,
 * "Characters"), make the document malformed, as an XML parser would find it.
 */
export function xmlDocument(res: ServerResponse, body: Buffer): string | undefined {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    sendS3Error(res, "MalformedXML");
    return undefined;
  }
  if (disallowedXmlChar(text) !== undefined) {
    sendS3Error(res, "MalformedXML");
    return undefined;
  }
  return text;
}

/**
 * What `read` takes out of a request's XML, or undefined once 400 MalformedXML is sent: `read` throws
 * MalformedXml for a reference to no XML character or an undefined entity.
 */
export function fromXml<T>(res: ServerResponse, read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof MalformedXml)) throw error;
    sendS3Error(res, "MalformedXML");
    return undefined;
  }
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** Strips the quotes of an entity tag for comparison; `*` matches any. */
export function etagMatches(list: string, etag: string): boolean {
  const bare = etag.replace(/"/g, "");
  return list
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/"/g, ""))
    .some((t) => t === "*" || t === bare);
}
