import type { IncomingHttpHeaders } from "node:http";
import type { ObjectInfo } from "../functions/api/shapes";
import { PermanentError } from "./retry";

export type { ObjectInfo } from "../functions/api/shapes";

/** A read URL for sharing: the API's JSON answer to `GET /{key}?expires=…&download=…`. */
export interface ShareLink {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
  readonly object?: ObjectInfo;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decoded(name: string, value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new PermanentError(
      `the API's ${name} header is not valid percent-encoding: ${JSON.stringify(value)}`,
    );
  }
}

/**
 * A HEAD response has no body, so the API answers `HEAD /{key}` with the object's metadata in
 * `Object-*` headers; text that may hold any character (the key, the disposition) is percent-encoded.
 */
export function objectInfoFromHeaders(headers: IncomingHttpHeaders): ObjectInfo {
  const key = header(headers, "object-key");
  const size = header(headers, "object-size");
  const etag = header(headers, "object-etag");
  if (key === undefined || size === undefined || etag === undefined) {
    throw new PermanentError(
      "the API answered HEAD without Object-Key, Object-Size and Object-ETag headers; it may predate sfs stat",
    );
  }
  if (!/^\d+$/.test(size)) throw new PermanentError(`the API's Object-Size is not a byte count: "${size}"`);
  const optional = (field: keyof ObjectInfo, name: string, map: (value: string) => string = (v) => v) => {
    const value = header(headers, name);
    return value === undefined ? {} : { [field]: map(value) };
  };
  return {
    key: decoded("Object-Key", key),
    size: Number(size),
    etag,
    ...optional("versionId", "object-version-id"),
    ...optional("contentType", "object-content-type"),
    ...optional("lastModified", "object-last-modified", (value) => {
      const time = Date.parse(value);
      if (Number.isNaN(time))
        throw new PermanentError(`the API's Object-Last-Modified is not a date: "${value}"`);
      return new Date(time).toISOString();
    }),
    ...optional("sha256", "object-sha256"),
    ...optional("contentDisposition", "object-content-disposition", (value) =>
      decoded("Object-Content-Disposition", value),
    ),
  };
}
