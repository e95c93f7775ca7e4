import { BadRequest } from "./http-error";

/** S3's own limit on a key's length in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * C0 controls and DEL. Keys also appear in CloudFront policies and log lines, where these would be
 * invisible or break the line.
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Turns a function URL's `rawPath` into an object key. Function URLs hand the path over still
 * percent-encoded, so it is decoded here exactly once; `%2F` therefore names the same key as `/`.
 */
export function keyFromRawPath(rawPath: string): string {
  const encoded = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    throw new BadRequest("InvalidKey", "the path is not valid percent-encoded UTF-8");
  }
  validateKey(key);
  return key;
}

export function validateKey(key: string): void {
  if (key.length === 0) {
    throw new BadRequest("InvalidKey", "the path must name an object key, for example /photos/cat.png");
  }
  if (!key.isWellFormed()) {
    throw new BadRequest("InvalidKey", "the key is not valid UTF-8");
  }
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > MAX_KEY_BYTES) {
    throw new BadRequest(
      "InvalidKey",
      `the key is ${bytes} bytes long; the limit is ${MAX_KEY_BYTES} bytes of UTF-8`,
    );
  }
  if (hasControlCharacter(key)) {
    throw new BadRequest("InvalidKey", "the key contains a control character");
  }
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new BadRequest(
        "InvalidKey",
        `the key has an empty, "." or ".." segment: ${JSON.stringify(segment)} is not allowed`,
      );
    }
  }
}

/**
 * RFC 3986 encoding of everything but the unreserved characters, which is the encoding SigV4's
 * canonical URI and query use; `encodeURIComponent` alone leaves `!'()*` bare.
 */
export function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The key as a URL path (without the leading slash), each segment encoded exactly once. */
export function encodeKeyPath(key: string): string {
  return key.split("/").map(strictEncode).join("/");
}
