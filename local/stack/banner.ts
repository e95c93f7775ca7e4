import type { AuthSettings } from "../../functions/auth/settings";
import type { RunningDevIssuer } from "./dev-issuer";

export interface BannerInput {
  readonly auth: AuthSettings;
  readonly apiUrl: string;
  readonly edgeUrl: string;
  readonly cloudFrontApiUrl?: string;
  readonly storageUrl: string;
  /** Set for the embedded storage, whose data lives there. */
  readonly dataDir?: string;
  readonly exampleUrl: string;
  /** The keys the local function URL accepts in `iam` mode, and the region they sign for. */
  readonly iamCaller?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** In jwt mode without a real issuer: the development issuer, which mints the banner's token. */
  readonly devIssuer?: Pick<RunningDevIssuer, "issuer" | "jwksUrl" | "audience" | "mint">;
  /** Every upload must carry a checksum header. */
  readonly requireChecksum?: boolean;
  readonly region: string;
}

/** Where `sfstore token` looks for the development issuer unless told (`--issuer-url`). */
const SFS_DEFAULT_ISSUER_URL = "http://127.0.0.1:3002";

/**
 * The first key a caller may write in jwt mode, in shell form: `{sub}/` becomes `$SUB/`, so the
 * example lines work once the variables the banner names are exported.
 */
function jwtPrefix(auth: Extract<AuthSettings, { mode: "jwt" }>): { prefix: string; claims: string[] } {
  const template = auth.rules.write[0] ?? auth.rules.read[0] ?? "";
  const claims: string[] = [];
  const prefix = template.replace(/\{([^}]+)\}/g, (_m, claim: string) => {
    const name = claim.toUpperCase().replace(/[^A-Z0-9]/g, "_");
    if (!claims.includes(name)) claims.push(name);
    return `$${name}`;
  });
  return { prefix, claims };
}

/** Example commands that work against the stack in the auth mode it runs in. */
function examples(input: BannerInput): string {
  const api = input.apiUrl;
  const { auth } = input;
  switch (auth.mode) {
    case "public":
      return `
  upload     curl -L -T cat.png ${api}/photos/cat.png
  download   curl -L -o back.png ${api}/photos/cat.png
  delete     curl -L -X DELETE ${api}/photos/cat.png
  large file (two steps; the function URL refuses bodies over about 4.5 MB, 6 MB once base64-encoded):
             curl -sS -X PUT -H 'Accept: application/json' ${api}/videos/big.bin | node -pe 'JSON.parse(require("fs").readFileSync(0)).url' | xargs -I{} curl --fail -T big.bin '{}'
  any size, with progress, parallel parts and resume (the sfstore CLI):
             npm run -s sfs -- put big.bin videos/big.bin --api-url ${api}
             npm run -s sfs -- get videos/big.bin back.bin --api-url ${api}
`;
    case "jwt": {
      const { prefix, claims } = jwtPrefix(auth);
      const bearer = `-H "authorization: Bearer $TOKEN"`;
      const key = `"${api}/${prefix}cat.png"`;
      const who = input.devIssuer
        ? devIssuerLines(input.devIssuer, auth, claims)
        : `
  auth jwt: a token from ${auth.issuer} for audience ${auth.audience} (keys from ${auth.jwksUrl});
  it may write under ${auth.rules.write.join(", ") || "no prefix"} and read under ${auth.rules.read.join(", ") || "no prefix"}
    export TOKEN=<the token>${claims.map((c) => ` ${c}=<its ${c.toLowerCase()} claim>`).join("")}`;
      return `${who}
  upload     curl -L -T cat.png ${bearer} ${key}
  download   curl -L -o back.png ${bearer} ${key}
  delete     curl -L -X DELETE ${bearer} ${key}
  any size, with progress, parallel parts and resume (the sfstore CLI):
             npm run -s sfs -- put big.bin "${prefix}big.bin" --token "$TOKEN" --api-url ${api}
`;
    }
    case "iam": {
      const caller = input.iamCaller;
      const keys = caller
        ? `AWS_ACCESS_KEY_ID=${caller.accessKeyId} AWS_SECRET_ACCESS_KEY=${caller.secretAccessKey}`
        : "AWS_ACCESS_KEY_ID=<id> AWS_SECRET_ACCESS_KEY=<secret>";
      return `
  auth iam: requests are SigV4-signed for service lambda in ${input.region} with the local caller's keys
    export ${keys} AWS_REGION=${input.region}
  upload     npm run -s sfs -- put cat.png photos/cat.png --iam --api-url ${api}
  download   npm run -s sfs -- get photos/cat.png back.png --iam --api-url ${api}
  delete     npm run -s sfs -- rm photos/cat.png --iam --api-url ${api}
  with curl, in JSON mode (the answer names the signed URL to send the file to):
             curl -sS --aws-sigv4 "aws:amz:${input.region}:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X PUT -H 'Accept: application/json' ${api}/photos/cat.png
`;
    }
  }
}

/**
 * The development issuer's part of the banner: what its tokens may do, a ready token for `dev`
 * (an hour long), and two ways to get another.
 */
function devIssuerLines(
  issuer: NonNullable<BannerInput["devIssuer"]>,
  auth: Extract<AuthSettings, { mode: "jwt" }>,
  claims: readonly string[],
): string {
  const ready = issuer.mint({ sub: "dev", scope: "read write delete" });
  const base = issuer.issuer.replace(/\/$/, "");
  const issuerUrl = base === SFS_DEFAULT_ISSUER_URL ? "" : ` --issuer-url ${base}`;
  const scopes = (["read", "write", "delete", "purge"] as const)
    .filter((action) => auth.scopes?.[action])
    .map((action) => `${auth.scopes?.[action]} to ${action}`);
  const needs = `${scopes.slice(0, -1).join(", ")} and ${scopes.at(-1)}`;
  const sub = claims.includes("SUB") ? " SUB=dev" : "";
  return `
  auth jwt, development issuer ${issuer.issuer} (audience ${issuer.audience}, keys at ${issuer.jwksUrl})
  a token may write under ${auth.rules.write.join(", ") || "no prefix"} and read under ${auth.rules.read.join(", ") || "no prefix"},
  and needs the scope ${needs}
  a token for sub dev with scope ${ready.scope}, valid until ${ready.expiresAt}:
    export TOKEN=${ready.token}${sub}
  another    npm run -s sfs -- token --sub alice --scope read,write${issuerUrl}
             export TOKEN=$(curl -sS -X POST -H 'content-type: application/json' -d '{"sub":"alice","scope":"read write"}' ${base}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')${claims.includes("SUB") ? " SUB=alice" : ""}`;
}

export function startBanner(input: BannerInput): string {
  const cloudFront = input.cloudFrontApiUrl
    ? `\n  CloudFront API      ${input.cloudFrontApiUrl}   (invalidations)`
    : "";
  const checksums = input.requireChecksum
    ? "\n  every upload must carry x-amz-checksum-crc64nvme or x-amz-checksum-sha256 (--require-checksums)"
    : "";
  return `
signed-file-store local stack (auth: ${input.auth.mode})
  API (function URL)  ${input.apiUrl}
  CDN edge            ${input.edgeUrl}${cloudFront}
  storage             ${input.storageUrl}${input.dataDir ? `   (data in ${input.dataDir})` : ""}
  example page        ${input.exampleUrl}?api=${encodeURIComponent(input.apiUrl)}${checksums}
${examples(input)}
Ctrl-C stops; uploads in flight finish first.
`;
}

/** The option that sets each of the stack's ports, in the order a clash is reported. */
export const PORT_OPTIONS = [
  "port",
  "edge-port",
  "cloudfront-port",
  "storage-port",
  "example-port",
  "issuer-port",
] as const;

/**
 * One line for a port the stack could not listen on, naming the option (or its SFS_ variable) to
 * change, or undefined for any other failure. A clash between two of the stack's own ports is
 * reported against the port started last (the API), which is the option given by hand.
 */
export function listenProblem(
  error: unknown,
  ports: Readonly<Record<(typeof PORT_OPTIONS)[number], number>>,
): string | undefined {
  const {
    code,
    port: given,
    message,
  } = (error ?? {}) as { code?: unknown; port?: unknown; message?: unknown };
  // An error passed on from a worker thread keeps its code and message but not its `port`.
  const port =
    typeof given === "number"
      ? given
      : Number(/:(\d+)$/.exec(typeof message === "string" ? message : "")?.[1]);
  if ((code !== "EADDRINUSE" && code !== "EACCES") || !Number.isInteger(port)) return undefined;
  const option = PORT_OPTIONS.find((name) => ports[name] === port) ?? "port";
  const variable = `SFS_${option.toUpperCase().replace(/-/g, "_")}`;
  const problem = code === "EADDRINUSE" ? "is in use" : "needs privileges this user lacks";
  return `port ${port} ${problem}: start with --${option} N (or ${variable}=N)`;
}
