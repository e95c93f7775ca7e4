import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export interface JwksFixture {
  readonly url: string;
  readonly issuer: string;
  readonly audience: string;
  sign(
    claims: Record<string, unknown>,
    options?: {
      expiresIn?: string | number;
      notBefore?: string | number;
      issuer?: string;
      audience?: string;
      iat?: number;
    },
  ): Promise<string>;
  /** Signed by a key that is not in the JWKS, under the JWKS key's id: a bad signature. */
  signWithStrangerKey(claims: Record<string, unknown>): Promise<string>;
  /** Signed by a key whose id (`k2`) the JWKS holds only after `rotate()`. */
  signWithNextKey(claims: Record<string, unknown>): Promise<string>;
  /** Publishes the next key (`k2`) beside the first. */
  rotate(): void;
  /** Answers every fetch with this instead of the key set, until called with undefined. */
  breakWith(answer: { status: number; body: string } | undefined): void;
  readonly requests: () => number;
  /** Stops listening and drops open connections, so fetches are refused on the same port. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Serves a JWKS on 127.0.0.1 and mints tokens with its key. */
export async function startJwks(): Promise<JwksFixture> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const stranger = await generateKeyPair("ES256");
  const next = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const nextJwk: JWK = { ...(await exportJWK(next.publicKey)), kid: "k2", alg: "ES256", use: "sig" };
  const published = [jwk];
  let count = 0;
  let broken: { status: number; body: string } | undefined;
  const server: Server = createServer((_req, res) => {
    count += 1;
    res.writeHead(broken?.status ?? 200, { "content-type": "application/json" });
    res.end(broken ? broken.body : JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let listening = true;
  const issuer = "https://issuer.example.test/";
  const audience = "signed-file-store";
  const build = (claims: Record<string, unknown>, o: Parameters<JwksFixture["sign"]>[1] = {}, kid = "k1") => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer(o.issuer ?? issuer)
      .setAudience(o.audience ?? audience)
      .setIssuedAt(o.iat)
      .setExpirationTime(o.expiresIn ?? "10m");
    if (o.notBefore !== undefined) jwt.setNotBefore(o.notBefore);
    return jwt;
  };
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    audience,
    sign: (claims, options) => build(claims, options).sign(privateKey),
    signWithStrangerKey: (claims) => build(claims).sign(stranger.privateKey),
    signWithNextKey: (claims) => build(claims, {}, "k2").sign(next.privateKey),
    rotate: () => {
      if (!published.includes(nextJwk)) published.push(nextJwk);
    },
    breakWith: (answer) => {
      broken = answer;
    },
    requests: () => count,
    stop: () =>
      new Promise((resolve) => {
        listening = false;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    start: () =>
      new Promise((resolve) => {
        listening = true;
        server.listen(port, "127.0.0.1", resolve);
      }),
    close: () =>
      new Promise((resolve) => {
        if (!listening) return resolve();
        listening = false;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
