/**
 * A request's query string as it may appear in a log line. Signed URLs carry their credentials in
 * the query (SigV4's X-Amz-Signature and X-Amz-Credential, CloudFront's Signature and Policy), and
 * callers paste tokens into it, so only the parameters this product defines keep their values, and
 * only when a value has the shape that parameter takes. Every other parameter keeps its name with
 * the value replaced; a name that does not even look like a parameter name (a pasted token, a
 * signature) is replaced whole. The result is built from the raw (still percent-encoded) text, so a
 * log line never holds a decoded control character either.
 */

export const REDACTED = "[redacted]";

const COUNT = /^\d{1,12}$/;
const PART_RANGE = /^\d{1,5}(-\d{1,5})?$/;
const FLAG = /^[A-Za-z0-9]{0,10}$/;
/** Key names, prefixes, file names and version IDs: URL text of bounded length. */
const NAME = /^[A-Za-z0-9._~%+!*'()\-,:;@/$=]{0,256}$/;

/** The parameters the API, the edge and the storage define, with the values each may show. */
const KNOWN: ReadonlyMap<string, RegExp | "hidden"> = new Map<string, RegExp | "hidden">([
  // An upload ID is the one handle on an unfinished upload; it stays out of shared logs.
  ["uploadId", "hidden"],
  ["partNumber", COUNT],
  ["parts", PART_RANGE],
  ["versionId", NAME],
  ["expires", COUNT],
  ["download", NAME],
  ["uploads", FLAG],
  ["versions", FLAG],
  ["recursive", FLAG],
  ["limit", COUNT],
  ["after", NAME],
  ["delete", FLAG],
  ["purge", FLAG],
  ["move", NAME],
  ["restore", FLAG],
  ["list-type", COUNT],
  ["prefix", NAME],
  ["delimiter", NAME],
  ["max-keys", COUNT],
]);

/** Short names without dots: a JWT (dots) or a hex signature (64 characters) never passes. */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function decodedName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, "%20"));
  } catch {
    return undefined;
  }
}

/** `redactQuery("uploadId=U&partNumber=3&X-Amz-Signature=abc")` is `uploadId=…&partNumber=3&X-Amz-Signature=[redacted]`. */
export function redactQuery(rawQuery: string): string {
  if (rawQuery === "") return "";
  return rawQuery
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      const rawValue = eq === -1 ? undefined : pair.slice(eq + 1);
      const name = decodedName(rawName);
      const rule = name === undefined ? undefined : KNOWN.get(name);
      if (name === undefined || rule === undefined) {
        if (name === undefined || !PLAIN_NAME.test(name)) return REDACTED;
        return rawValue === undefined ? name : `${name}=${REDACTED}`;
      }
      if (rawValue === undefined) return name;
      if (rule === "hidden") return `${name}=…`;
      return `${name}=${rule.test(rawValue) ? rawValue : REDACTED}`;
    })
    .join("&");
}
