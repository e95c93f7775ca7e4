/**
 * What the Uppy adapter hands `@uppy/aws-s3` besides signed URLs: S3's XML answers to the multipart
 * calls the adapter made itself through the API (as `data:` URLs the plugin reads like any answer),
 * and Uppy's metadata fields as S3 user metadata.
 */

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] ?? c,
  );

/** A URL whose "answer" is this XML: the plugin's request to it never leaves the page. */
export function xmlAnswer(root: string, fields: Readonly<Record<string, string>>): string {
  const body = Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join("");
  return `data:application/xml,${encodeURIComponent(`<?xml version="1.0" encoding="UTF-8"?><${root}>${body}</${root}>`)}`;
}

/**
 * S3 keeps at most 2 KB of user-defined metadata per object, counted as the UTF-8 bytes of every
 * name and value (Amazon S3 User Guide, "Working with object metadata", "User-defined object
 * metadata").
 */
export const MAX_METADATA_BYTES = 2048;

/** An HTTP token (RFC 9110, 5.6.2): what a header name, and so a metadata name, may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Non-ASCII text as RFC 2047 `=?UTF-8?B?…?=`, as Uppy's Companion sends metadata to S3. */
function rfc2047(text: string): string {
  // Control characters cannot travel in a header either; they are encoded like non-ASCII text.
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return `=?UTF-8?B?${btoa(binary)}?=`;
}

/** Uppy's rule: `true` every field, an array those fields, `false` none. */
function allowedFields(
  allowed: readonly string[] | boolean,
  meta: Readonly<Record<string, unknown>>,
): string[] {
  if (allowed === true) return Object.keys(meta);
  if (allowed === false) return [];
  return allowed.filter((name) => Object.hasOwn(meta, name));
}

/**
 * A file's allowed metadata fields as `x-amz-meta-*` headers: names lower-cased (S3 keeps them so),
 * values as text, non-ASCII ones RFC 2047-encoded. A name that cannot be a header, or metadata over
 * S3's 2 KB, is an error that names it rather than an upload that fails at storage.
 */
export function metadataHeaders(
  allowed: readonly string[] | boolean,
  meta: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  let bytes = 0;
  for (const field of allowedFields(allowed, meta)) {
    const value = meta[field];
    if (value === undefined || value === null) continue;
    const name = field.toLowerCase();
    if (!TOKEN.test(name)) {
      throw new Error(`the metadata field "${field}" cannot be stored: S3 metadata names are header names`);
    }
    const text = rfc2047(typeof value === "string" ? value : JSON.stringify(value));
    bytes += new TextEncoder().encode(name).length + new TextEncoder().encode(text).length;
    headers[`x-amz-meta-${name}`] = text;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new Error(`the file's metadata is ${bytes} bytes; S3 keeps at most ${MAX_METADATA_BYTES}`);
  }
  return headers;
}

/** The headers, or the reason they cannot be sent, kept to be said when the upload starts. */
export function metadataOf(
  allowed: readonly string[] | boolean,
  meta: Record<string, unknown>,
): Record<string, string> | Error {
  try {
    return metadataHeaders(allowed, meta);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
