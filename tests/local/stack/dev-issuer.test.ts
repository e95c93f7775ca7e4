import { generateKeyPairSync } from "node:crypto";
import { get } from "node:http";
import { expect } from "chai";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  DEV_AUDIENCE,
  isLoopback,
  type RunningDevIssuer,
  startDevIssuer,
} from "../../../local/stack/dev-issuer";

const NOW = new Date("2026-11-23T12:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const pem = () =>
  generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();

describe("local development JWT issuer", () => {
  let issuer: RunningDevIssuer;
  const keyPem = pem();
  before(async () => {
    issuer = await startDevIssuer({
      privateKeyPem: keyPem,
      port: 0,
      corsOrigins: ["http://127.0.0.1:3001"],
      clock: () => NOW,
    });
  });
  after(() => issuer.close());

  const base = () => issuer.issuer.replace(/\/$/, "");
  const token = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base()}/token`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  /** The JWKS on a connection of its own, so a restarted issuer is asked on a fresh one. */
  const jwksNow = () =>
    new Promise<Parameters<typeof createLocalJWKSet>[0]>((resolve, reject) => {
      get(issuer.jwksUrl, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      }).on("error", reject);
    });
  const verify = async (jwt: string) => {
    const jwks = await jwksNow();
    return jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: issuer.issuer,
      audience: DEV_AUDIENCE,
      algorithms: ["ES256"],
      currentDate: NOW,
    });
  };

  it("POST /token answers a token for the subject and scopes asked, which its JWKS verifies", async () => {
    const answer = await token({ sub: "alice", scope: "read write", expiresIn: 600 });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.include({
      sub: "alice",
      scope: "read write",
      expiresAt: new Date((NOW_S + 600) * 1000).toISOString(),
    });
    const { payload, protectedHeader } = await verify(String(answer.body.token));
    expect(payload).to.deep.equal({
      iss: issuer.issuer,
      aud: DEV_AUDIENCE,
      sub: "alice",
      scope: "read write",
      iat: NOW_S,
      exp: NOW_S + 600,
    });
    expect(protectedHeader.alg).to.equal("ES256");
    expect(issuer.issuer).to.match(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("defaults: scope read write delete, an hour; commas separate scopes as spaces do", async () => {
    const plain = await token({ sub: "bob" });
    expect([plain.body.scope, plain.body.expiresAt]).to.deep.equal([
      "read write delete",
      new Date((NOW_S + 3600) * 1000).toISOString(),
    ]);
    expect((await token({ sub: "bob", scope: "read,write, purge" })).body.scope).to.equal("read write purge");
  });

  it("the key's id is its RFC 7638 thumbprint, the same in the JWKS and in every token", async () => {
    const jwks = (await (await fetch(issuer.jwksUrl)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).to.have.length(1);
    const [key] = jwks.keys;
    expect(Object.keys(key ?? {}).sort()).to.deep.equal(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect([key?.kty, key?.crv, key?.alg, key?.use]).to.deep.equal(["EC", "P-256", "ES256", "sig"]);
    const { calculateJwkThumbprint } = await import("jose");
    expect(key?.kid).to.equal(
      await calculateJwkThumbprint({ kty: "EC", crv: "P-256", x: key?.x, y: key?.y }),
    );
    expect(decodeProtectedHeader(issuer.mint({ sub: "x" }).token).kid).to.equal(key?.kid);
  });

  for (const [body, message] of [
    [{}, "sub must be a non-empty string of at most 256 printable characters, got undefined"],
    [{ sub: "" }, 'sub must be a non-empty string of at most 256 printable characters, got ""'],
    [{ sub: "a\nb" }, 'sub must be a non-empty string of at most 256 printable characters, got "a\\nb"'],
    [{ sub: "a", scope: 7 }, "scope must be a string, got 7"],
    [{ sub: "a", scope: 'read "all"' }, 'scope has a character a scope may not hold: "\\"all\\""'],
    [
      { sub: "a", expiresIn: 86_401 },
      "expiresIn must be a whole number of seconds from 1 to 86400, got 86401",
    ],
    [{ sub: "a", expiresIn: 1.5 }, "expiresIn must be a whole number of seconds from 1 to 86400, got 1.5"],
    ["not json", 'the body must be JSON: {"sub": "alice", "scope": "read write", "expiresIn": 3600}'],
    [[1], 'the body must be a JSON object: {"sub": "alice", "scope": "read write"}'],
  ] as const) {
    it(`refuses ${JSON.stringify(body)} with 400: ${message}`, async () => {
      const answer = await token(body);
      expect([answer.status, answer.body]).to.deep.equal([
        400,
        { error: { code: "InvalidRequest", message } },
      ]);
    });
  }

  it("the example page's origin may ask for a token; another origin's preflight is refused", async () => {
    const allowed = await token({ sub: "web" }, { origin: "http://127.0.0.1:3001" });
    expect(allowed.headers.get("access-control-allow-origin")).to.equal("http://127.0.0.1:3001");
    const preflight = (origin: string) =>
      fetch(`${base()}/token`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    const ok = await preflight("http://127.0.0.1:3001");
    expect([ok.status, ok.headers.get("access-control-allow-methods")]).to.deep.equal([204, "GET, POST"]);
    expect((await preflight("https://elsewhere.example")).status).to.equal(403);
  });

  it("anything else is 404 naming what it serves", async () => {
    const res = await fetch(`${base()}/authorize`);
    expect([res.status, await res.json()]).to.deep.equal([
      404,
      {
        error: {
          code: "NotFound",
          message: "the development issuer serves POST /token and GET /.well-known/jwks.json",
        },
      },
    ]);
  });

  it("a restart with the same key verifies tokens minted before it", async () => {
    const before = issuer.mint({ sub: "carol" }).token;
    const port = Number(new URL(issuer.issuer).port);
    await issuer.close();
    issuer = await startDevIssuer({ privateKeyPem: keyPem, port, clock: () => NOW });
    expect((await verify(before)).payload.sub).to.equal("carol");
  });

  it("listens on loopback only: any other address is refused before listening", async () => {
    expect(["127.0.0.1", "127.0.0.2", "::1", "localhost"].map(isLoopback)).to.deep.equal([
      true,
      true,
      true,
      true,
    ]);
    expect(["0.0.0.0", "::", "192.168.1.10", "example.test"].map(isLoopback)).to.deep.equal([
      false,
      false,
      false,
      false,
    ]);
    const refused = await startDevIssuer({ privateKeyPem: keyPem, port: 0, host: "0.0.0.0" }).then(
      () => "started",
      (error: Error) => error.message,
    );
    expect(refused).to.equal(
      '[issuerHost] must be a loopback address (127.0.0.1, ::1 or localhost), got "0.0.0.0": the development issuer gives a token to anyone who asks',
    );
  });
});
