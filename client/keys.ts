import { validateKey } from "../functions/api/object-key";
import { PermanentError } from "./retry";

/** A key the API would refuse, found before any request is made. */
export class InvalidKeyError extends PermanentError {
  constructor(key: string, reason: string) {
    super(`invalid key ${JSON.stringify(key)}: ${reason}`, undefined, "InvalidKey");
  }
}

/**
 * The API's own key rules, checked before sending. A URL parser would turn `a/../b` into `b`, so a
 * key with a dot segment must never reach one: `rm alice/../victim` would delete `victim`.
 */
export function checkKey(key: string): void {
  const dots = key.split("/").find((segment) => segment === "." || segment === "..");
  if (dots) {
    throw new InvalidKeyError(
      key,
      `a "${dots}" segment would make a URL name another key, so keys with "." or ".." segments are refused`,
    );
  }
  try {
    validateKey(key);
  } catch (error) {
    throw new InvalidKeyError(key, error instanceof Error ? error.message : String(error));
  }
}

/**
 * A listing's prefix: "" for the root, or a key followed by `/`, checked as that key (the API
 * reads `/photos/2024/` as the key `photos/2024` with one more, empty, segment).
 */
export function checkPrefix(prefix: string): void {
  if (prefix === "") return;
  if (!prefix.endsWith("/")) {
    throw new InvalidKeyError(prefix, 'a prefix is "" (the root) or ends with "/"');
  }
  checkKey(prefix.slice(0, -1));
}
