import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { applyCors, type CorsRule } from "../http/cors";
import { closeServer, listen } from "../http/listen";

/**
 * A development JWT issuer for `--auth jwt` without a real one: a JWKS and a `/token` endpoint that
 * mints ES256 tokens for any subject and scopes asked, so it listens on loopback only. Its key is
 * kept in the data directory, so tokens stay valid across restarts on the same port.
 *
 * Tokens are signed with node:crypto rather than jose: the local stack may not import packages of
 * its own (ARCHITECTURE.md), and an ES256 JWT is a base64url header and payload and one P-256
 * signature in its IEEE P1363 form (RFC 7515, RFC 7518 section 3.4). The function verifies them
 * with jose, as it verifies any issuer's.
 */
export const DEV_AUDIENCE = "signed-file-store-local";
/** What each action needs in a token's scope, in the development stack. */
export const DEV_SCOPES = { read: "read", write: "write", delete: "delete", purge: "purge" } as const;
export const DEFAULT_TOKEN_SCOPE = "read write delete";
export const DEFAULT_TOKEN_SECONDS = 3600;
export const MAX_TOKEN_SECONDS = 86_400;
export const DEFAULT_ISSUER_PORT = 3002;

export interface DevIssuerOptions {
  /** The P-256 private key (PKCS#8 PEM) the tokens are signed with. */
  readonly privateKeyPem: string;
  readonly port?: number;
  /** A loopback address or `localhost`; anything else is refused before listening. */
  readonly host?: string;
  /** Origins whose pages may ask for tokens (the example page's). */
  readonly corsOrigins?: readonly string[];
  readonly clock?: () => Date;
}

export interface MintedToken {
  readonly token: string;
  readonly sub: string;
  readonly scope: string;
  readonly expiresAt: string;
}

export interface RunningDevIssuer {
  /** The `iss` of its tokens: `http://127.0.0.1:3002/`. */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly audience: string;
  mint(request: { sub: string; scope?: string; expiresIn?: number }): MintedToken;
  close(): Promise<void>;
}

/** A problem with a /token request, answered 400 with its message. */
export class TokenRequestError extends Error {}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/** RFC 7638: the SHA-256 of the key's required members, in lexical order, as its `kid`. */
function thumbprint(jwk: { crv?: string; kty?: string; x?: string; y?: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return base64url(createHash("sha256").update(canonical).digest());
}

// RFC 6749 section 3.3: a scope token is printable ASCII but space, `"` and `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The scope asked for, space- or comma-separated, as the space-separated claim. */
export function normaliseScope(scope: unknown): string {
  if (scope === undefined) return DEFAULT_TOKEN_SCOPE;
  if (typeof scope !== "string")
    throw new TokenRequestError(`scope must be a string, got ${JSON.stringify(scope)}`);
  const tokens = scope.split(/[\s,]+/).filter(Boolean);
  const bad = tokens.find((t) => !SCOPE_TOKEN.test(t));
  if (bad !== undefined)
    throw new TokenRequestError(`scope has a character a scope may not hold: ${JSON.stringify(bad)}`);
  return tokens.join(" ");
}

function checkSub(sub: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (typeof sub !== "string" || sub === "" || sub.length > 256 || /[\u0000-\u001f\u007f]/.test(sub))
    throw new TokenRequestError(
      `sub must be a non-empty string of at most 256 printable characters, got ${JSON.stringify(sub)}`,
    );
  return sub;
}

function checkExpiresIn(expiresIn: unknown): number {
  if (expiresIn === undefined) return DEFAULT_TOKEN_SECONDS;
  if (
    typeof expiresIn !== "number" ||
    !Number.isInteger(expiresIn) ||
    expiresIn < 1 ||
    expiresIn > MAX_TOKEN_SECONDS
  )
    throw new TokenRequestError(
      `expiresIn must be a whole number of seconds from 1 to ${MAX_TOKEN_SECONDS}, got ${JSON.stringify(expiresIn)}`,
    );
  return expiresIn;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) throw new TokenRequestError("the body must be at most 16 KiB of JSON");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new TokenRequestError(
      'the body must be JSON: {"sub": "alice", "scope": "read write", "expiresIn": 3600}',
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TokenRequestError('the body must be a JSON object: {"sub": "alice", "scope": "read write"}');
  return value as Record<string, unknown>;
}

export async function startDevIssuer(options: DevIssuerOptions): Promise<RunningDevIssuer> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host))
    throw new Error(
      `[issuerHost] must be a loopback address (127.0.0.1, ::1 or localhost), got ${JSON.stringify(host)}: the development issuer gives a token to anyone who asks`,
    );
  const clock = options.clock ?? (() => new Date());
  const privateKey: KeyObject = createPrivateKey(options.privateKeyPem);
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const kid = thumbprint(jwk);
  const jwks = { keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] };
  const cors: CorsRule = {
    allowOrigins: options.corsOrigins ?? [],
    allowMethods: ["GET", "POST"],
    allowHeaders: ["content-type"],
    exposeHeaders: [],
    maxAgeSeconds: 600,
  };
  let issuer = "";

  function mint(request: {
    readonly sub?: unknown;
    readonly scope?: unknown;
    readonly expiresIn?: unknown;
  }): MintedToken {
    const sub = checkSub(request.sub);
    const scope = normaliseScope(request.scope);
    const seconds = checkExpiresIn(request.expiresIn);
    const iat = Math.floor(clock().getTime() / 1000);
    const claims = { iss: issuer, aud: DEV_AUDIENCE, sub, scope, iat, exp: iat + seconds };
    const input = `${base64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid }))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
    return {
      token: `${input}.${base64url(signature)}`,
      sub,
      scope,
      expiresAt: new Date((iat + seconds) * 1000).toISOString(),
    };
  }

  const server = createServer((req, res) => {
    if (applyCors(cors, req, res)) return;
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/.well-known/jwks.json" && (req.method === "GET" || req.method === "HEAD")) {
      sendJson(res, 200, jwks);
      return;
    }
    if (path === "/token" && req.method === "POST") {
      readJson(req)
        .then(mint)
        .then(
          (minted) => sendJson(res, 200, minted),
          (error: unknown) => {
            if (error instanceof TokenRequestError)
              sendJson(res, 400, errorBody("InvalidRequest", error.message));
            else sendJson(res, 500, errorBody("InternalError", "the token could not be made"));
          },
        );
      return;
    }
    sendJson(
      res,
      404,
      errorBody("NotFound", "the development issuer serves POST /token and GET /.well-known/jwks.json"),
    );
  });
  await listen(server, options.port ?? DEFAULT_ISSUER_PORT, host);
  const { port } = server.address() as AddressInfo;
  const base = `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  issuer = `${base}/`;
  return {
    issuer,
    jwksUrl: `${base}/.well-known/jwks.json`,
    audience: DEV_AUDIENCE,
    mint: (request) => mint(request),
    close: () => closeServer(server),
  };
}
