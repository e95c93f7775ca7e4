import { type KeyObject, verify } from "node:crypto";
import { isIP } from "node:net";

/**
 * Verifies CloudFront signed URLs the way CloudFront documents it (Developer Guide: "Create a signed
 * URL using a canned policy", "... using a custom policy", "Using Linux commands and OpenSSL for
 * base64 encoding and encryption"): canned (`Expires`) or custom (`Policy`) policy, signature over
 * the policy JSON with SHA-1, or SHA-256 when `Hash-Algorithm=SHA256`, RSA or ECDSA, the key looked
 * up by `Key-Pair-Id` among the key group's public keys.
 */
export const SIGNING_PARAMETERS = [
  "Expires",
  "Policy",
  "Signature",
  "Key-Pair-Id",
  "Hash-Algorithm",
] as const;

const MISSING_KEY = "missing Key-Pair-Id";
const UNKNOWN_KEY = "unknown Key-Pair-Id";
const MALFORMED_POLICY = "policy is not JSON";

/**
 * The 403 body CloudFront answers a refused signed URL with. AWS documents the messages of the
 * first two (AWS re:Post Knowledge Center, "How do I troubleshoot issues related to a signed URL or
 * signed cookies in CloudFront?": "Missing Key-Pair-Id query parameter or cookie value." for a
 * missing or empty Key-Pair-Id, "Unknown Key." for one no trusted key group holds) but not the
 * codes; the codes, and MalformedPolicy for a policy that is not JSON, are the ones CloudFront is
 * seen to send. Everything else (a signature that does not verify, an expired URL, a URL changed
 * after signing) is AccessDenied.
 */
export function refusal(reason: string): { readonly code: string; readonly message: string } {
  if (reason === MISSING_KEY)
    return { code: "MissingKey", message: "Missing Key-Pair-Id query parameter or cookie value" };
  if (reason === UNKNOWN_KEY) return { code: "InvalidKey", message: "Unknown Key" };
  if (reason === MALFORMED_POLICY) return { code: "MalformedPolicy", message: "Malformed Policy" };
  return { code: "AccessDenied", message: "Access denied" };
}

export type EdgeVerdict =
  | { readonly ok: true; readonly keyPairId: string }
  | { readonly ok: false; readonly reason: string };

interface PolicyStatement {
  Resource?: unknown;
  Condition?: {
    DateLessThan?: { "AWS:EpochTime"?: unknown };
    DateGreaterThan?: { "AWS:EpochTime"?: unknown };
    IpAddress?: { "AWS:SourceIp"?: unknown };
  };
}

function fromCloudFrontBase64(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64");
}

/** Splits a request URL's query into the signing parameters and the URL CloudFront compares. */
export function splitSignedUrl(url: URL): { resourceUrl: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if ((SIGNING_PARAMETERS as readonly string[]).includes(name)) {
      params.set(name, eq === -1 ? "" : pair.slice(eq + 1));
    } else {
      kept.push(pair);
    }
  }
  return { resourceUrl: `${url.origin}${url.pathname}${kept.length ? `?${kept.join("&")}` : ""}`, params };
}

/** `*` matches any run of characters and `?` one character, as in CloudFront custom policies. */
function resourceMatches(pattern: string, url: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "s").test(url);
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [network, bitsText] = cidr.split("/");
  if (!network || isIP(network) !== 4 || isIP(ip) !== 4) return network === ip;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const toInt = (a: string) => a.split(".").reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(network) & mask);
}

export function verifySignedUrl(
  url: URL,
  publicKeys: ReadonlyMap<string, KeyObject>,
  nowEpochSeconds: number,
  sourceIp: string,
): EdgeVerdict {
  const { resourceUrl, params } = splitSignedUrl(url);
  return verifySignedResource(resourceUrl, params, publicKeys, nowEpochSeconds, sourceIp);
}

/**
 * Verifies the signing parameters against the resource URL: the requested URL without them, which a
 * canned policy names exactly and a custom policy's `Resource` must match.
 */
export function verifySignedResource(
  resourceUrl: string,
  params: ReadonlyMap<string, string>,
  publicKeys: ReadonlyMap<string, KeyObject>,
  nowEpochSeconds: number,
  sourceIp: string,
): EdgeVerdict {
  const keyPairId = params.get("Key-Pair-Id");
  if (!keyPairId) return { ok: false, reason: MISSING_KEY };
  const publicKey = publicKeys.get(keyPairId);
  if (!publicKey) return { ok: false, reason: UNKNOWN_KEY };
  const signature = params.get("Signature");
  if (!signature) return { ok: false, reason: "missing Signature" };
  const hashName = params.get("Hash-Algorithm") ?? "SHA1";
  if (hashName !== "SHA1" && hashName !== "SHA256")
    return { ok: false, reason: "unsupported Hash-Algorithm" };

  let policyText: string;
  const expires = params.get("Expires");
  const encodedPolicy = params.get("Policy");
  if (encodedPolicy !== undefined) {
    policyText = fromCloudFrontBase64(encodedPolicy).toString("utf8");
  } else if (expires !== undefined && /^\d+$/.test(expires)) {
    policyText = JSON.stringify({
      Statement: [
        { Resource: resourceUrl, Condition: { DateLessThan: { "AWS:EpochTime": Number(expires) } } },
      ],
    });
  } else {
    return { ok: false, reason: "missing Expires or Policy" };
  }
  let statement: PolicyStatement | undefined;
  try {
    statement = (JSON.parse(policyText) as { Statement?: PolicyStatement[] }).Statement?.[0];
  } catch {
    return { ok: false, reason: MALFORMED_POLICY };
  }
  const signatureBytes = fromCloudFrontBase64(signature);
  const digest = hashName === "SHA256" ? "sha256" : "sha1";
  if (!verify(digest, Buffer.from(policyText, "utf8"), publicKey, signatureBytes)) {
    return { ok: false, reason: "signature does not verify" };
  }

  const condition = statement?.Condition;
  const lessThan = condition?.DateLessThan?.["AWS:EpochTime"];
  if (typeof statement?.Resource !== "string" || typeof lessThan !== "number") {
    return { ok: false, reason: "policy lacks Resource or DateLessThan" };
  }
  if (!resourceMatches(statement.Resource, resourceUrl))
    return { ok: false, reason: "policy resource does not match the URL" };
  if (nowEpochSeconds >= lessThan) return { ok: false, reason: "the URL has expired" };
  const greaterThan = condition?.DateGreaterThan?.["AWS:EpochTime"];
  if (typeof greaterThan === "number" && nowEpochSeconds <= greaterThan)
    return { ok: false, reason: "the URL is not valid yet" };
  const allowedIp = condition?.IpAddress?.["AWS:SourceIp"];
  if (typeof allowedIp === "string" && !ipInCidr(sourceIp, allowedIp)) {
    return { ok: false, reason: "the source IP is not allowed" };
  }
  return { ok: true, keyPairId };
}
