import { expect } from "chai";
import { ServiceUnavailable } from "../../../functions/api/http-error";
import { createAuthorizer, JWKS_TIMINGS } from "../../../functions/auth/authorizer";
import type { AuthSettings } from "../../../functions/auth/settings";
import type { Logger } from "../../../functions/telemetry/log";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, harness, NOW, NOW_S } from "../../support/handler-harness";
import { type JwksFixture, startJwks } from "../../support/jwks-server";
import { ecdsaKey } from "../../support/keys";

const UNAVAILABLE = {
  error: {
    code: "ServiceUnavailable",
    message: "the token issuer's key set is unavailable, so the token cannot be checked; try again later",
  },
};
const MINUTE = 60_000;

describe("auth: the issuer's JWKS goes down and comes back", () => {
  let jwks: JwksFixture;
  let now: number;
  beforeEach(async () => {
    jwks = await startJwks();
    now = NOW.getTime();
  });
  afterEach(() => jwks.close());

  const settings = (): AuthSettings => ({
    mode: "jwt",
    issuer: jwks.issuer,
    audience: jwks.audience,
    jwksUrl: jwks.url,
    rules: { read: ["{sub}/"], write: ["{sub}/"], delete: [] },
  });
  // Valid for the whole simulated outage, so only the key set decides. Writes, because signing one
  // needs no other dependency.
  const longLived = () => jwks.sign({ sub: "alice" }, { iat: NOW_S - 10, expiresIn: NOW_S + 3 * 3600 });
  const nextKeyToken = () => jwks.signWithNextKey({ sub: "alice", iat: NOW_S, exp: NOW_S + 3 * 3600 });

  function api() {
    const { handle } = harness(baseConfig({ auth: settings() }), ecdsaKey, { clock: () => new Date(now) });
    return async (token: string) => {
      const result = await handle(
        functionUrlEvent("PUT", "/alice/cat.png", { headers: { authorization: `Bearer ${token}` } }),
      );
      return {
        status: result.statusCode,
        retryAfter: result.headers?.["retry-after"],
        body: result.body ? JSON.parse(result.body) : undefined,
      };
    };
  }

  it("keeps jose's timings for a healthy issuer: 10 min cache, 30 s cooldown, 5 s timeout", () => {
    expect(JWKS_TIMINGS).to.deep.equal({
      freshMs: 600_000,
      cooldownMs: 30_000,
      timeoutMs: 5_000,
      maxStaleMs: 3_600_000,
      retryMs: 10_000,
    });
  });

  it("serves with the last good key set for up to an hour, then 503 with Retry-After, and recovers", async () => {
    const call = api();
    const token = await longLived();
    expect((await call(token)).status).to.equal(307);
    expect(jwks.requests()).to.equal(1);
    await jwks.stop();

    now += 10 * MINUTE; // past jose's cacheMaxAge: a refresh is due and fails
    expect(await call(token)).to.deep.include({ status: 307, retryAfter: undefined });
    now += 50 * MINUTE; // exactly an hour old: still usable
    expect((await call(token)).status).to.equal(307);
    now += 1; // one millisecond past the bound, refresh fails again
    expect(await call(token)).to.deep.equal({ status: 503, retryAfter: "10", body: UNAVAILABLE });
    now += 4_000; // inside the retry window no fetch is tried; the wait shrinks
    expect(await call(token)).to.deep.equal({ status: 503, retryAfter: "6", body: UNAVAILABLE });

    await jwks.start();
    expect(await call(token)).to.deep.equal({ status: 503, retryAfter: "6", body: UNAVAILABLE });
    now += 6_000;
    expect((await call(token)).status).to.equal(307);
    expect(jwks.requests()).to.equal(2);
    now += 9 * MINUTE; // fresh again: no fetch
    expect((await call(token)).status).to.equal(307);
    expect(jwks.requests()).to.equal(2);
  });

  for (const [name, answer] of [
    ["answers HTTP 500", { status: 500, body: "{}" }],
    ["answers JSON that is not a key set", { status: 200, body: '{"keys":"none"}' }],
    ["answers something that is not JSON", { status: 200, body: "<html>maintenance</html>" }],
  ] as const) {
    it(`an issuer that ${name} counts as down: the last good keys serve, then 503`, async () => {
      const call = api();
      const token = await longLived();
      expect((await call(token)).status).to.equal(307);
      jwks.breakWith(answer);
      now += 10 * MINUTE;
      expect((await call(token)).status).to.equal(307);
      expect(jwks.requests()).to.equal(2);
      now += 50 * MINUTE + 1;
      expect(await call(token)).to.deep.equal({ status: 503, retryAfter: "10", body: UNAVAILABLE });
      jwks.breakWith(undefined);
      now += 10_000;
      expect((await call(token)).status).to.equal(307);
      expect(jwks.requests()).to.equal(4);
    });
  }

  it("at a cold start with the issuer down answers 503 until the key set can be fetched", async () => {
    await jwks.stop();
    const call = api();
    const token = await longLived();
    expect(await call(token)).to.deep.equal({ status: 503, retryAfter: "10", body: UNAVAILABLE });
    await jwks.start();
    now += 9_999;
    expect(await call(token)).to.deep.equal({ status: 503, retryAfter: "1", body: UNAVAILABLE });
    now += 1;
    expect((await call(token)).status).to.equal(307);
    expect(jwks.requests()).to.equal(1);
  });

  it("while the issuer is down, an unknown key is 503 (it may be new) but a bad signature is 401", async () => {
    const call = api();
    expect((await call(await longLived())).status).to.equal(307);
    await jwks.stop();
    now += 31_000; // past the cooldown, so an unknown key id asks the issuer again
    const next = await nextKeyToken();
    expect(await call(next)).to.deep.equal({ status: 503, retryAfter: "10", body: UNAVAILABLE });
    const forged = await jwks.signWithStrangerKey({ sub: "alice", iat: NOW_S, exp: NOW_S + 600 });
    expect(await call(forged)).to.deep.equal({
      status: 401,
      retryAfter: undefined,
      body: {
        error: {
          code: "Unauthorized",
          message: "the bearer token was refused: the token's signature does not verify",
        },
      },
    });
    expect((await call(await longLived())).status).to.equal(307);

    jwks.rotate();
    await jwks.start();
    now += 10_000;
    expect((await call(next)).status).to.equal(307);
    expect(jwks.requests()).to.equal(2);
  });

  it("with the issuer up, an unknown key is 401 after at most one refetch per cooldown", async () => {
    const call = api();
    const refused = {
      status: 401,
      retryAfter: undefined,
      body: {
        error: {
          code: "Unauthorized",
          message: "the bearer token was refused: no single key in the issuer's key set matches the token",
        },
      },
    };
    expect((await call(await longLived())).status).to.equal(307);
    const next = await nextKeyToken();
    expect(await call(next)).to.deep.equal(refused);
    expect(jwks.requests()).to.equal(1);
    now += 30_000;
    expect(await call(next)).to.deep.equal(refused);
    expect(jwks.requests()).to.equal(2);
  });

  it("logs each failed fetch without the token, and the recovery", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log: Logger = { log: (level, message, fields) => lines.push({ level, message, ...fields }) };
    const authorizer = createAuthorizer(settings(), [], () => new Date(now), undefined, log);
    const token = await longLived();
    const request = { headers: { authorization: `Bearer ${token}` } };
    await jwks.stop();
    const error = await authorizer.authorize(request, "read", "alice/a").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ServiceUnavailable);
    expect((error as ServiceUnavailable).headers).to.deep.equal({ "retry-after": "10" });
    const origin = new URL(jwks.url).origin;
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({
      level: "warn",
      message: "issuer key set could not be fetched",
      jwks: origin,
      errorName: "TypeError",
      errorMessage: "fetch failed",
      staleForMs: null,
    });
    expect(String(lines[0]?.cause)).to.match(/ECONNREFUSED/);
    await jwks.start();
    now += 10_000;
    expect(await authorizer.authorize(request, "read", "alice/a")).to.deep.equal({
      kind: "jwt",
      id: "alice",
    });
    expect(lines[1]).to.deep.equal({
      level: "info",
      message: "issuer key set reachable again",
      jwks: origin,
    });
    expect(JSON.stringify(lines)).to.not.include(token);
  });
});
