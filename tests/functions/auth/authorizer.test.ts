import { expect } from "chai";
import { UnsecuredJWT } from "jose";
import { expandTemplate } from "../../../functions/auth/access-rules";
import { ConfigError, parseHandlerConfig } from "../../../functions/config";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, harness, NOW_S } from "../../support/handler-harness";
import { type JwksFixture, startJwks } from "../../support/jwks-server";

const REALM = 'Bearer realm="signed-file-store"';
const UNAVAILABLE = {
  code: "ServiceUnavailable",
  message: "the token issuer's key set is unavailable, so the token cannot be checked; try again later",
};

describe("auth: jwt mode", () => {
  let jwks: JwksFixture;
  before(async () => {
    jwks = await startJwks();
  });
  after(() => jwks.close());

  function jwtHarness() {
    return harness(
      baseConfig({
        auth: {
          mode: "jwt",
          issuer: jwks.issuer,
          audience: jwks.audience,
          jwksUrl: jwks.url,
          rules: { read: ["{sub}/", "shared/"], write: ["{sub}/"], delete: ["{sub}/"] },
        },
        publicReadPrefixes: ["public/"],
      }),
    );
  }
  const valid = (sub: unknown, extra: Record<string, unknown> = {}) =>
    jwks.sign({ sub, ...extra }, { iat: NOW_S - 10, expiresIn: NOW_S + 600 });
  const call = async (method: string, path: string, token?: string) => {
    const { handle, lines } = jwtHarness();
    const result = await handle(
      functionUrlEvent(method, path, token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    );
    return { result, body: result.body ? JSON.parse(result.body) : undefined, lines };
  };

  const allowed: Array<[string, string]> = [
    ["GET", "/alice/cat.png"],
    ["HEAD", "/alice/deep/er/cat.png"],
    ["PUT", "/alice/new.bin"],
    ["DELETE", "/alice/old.bin"],
    ["GET", "/shared/readme.txt"],
    ["GET", "/public/logo.png"],
  ];
  for (const [method, path] of allowed) {
    it(`alice may ${method} ${path}`, async () => {
      const { result } = await call(method, path, await valid("alice"));
      expect(result.statusCode).to.equal(307);
    });
  }

  const forbidden: Array<[string, string, string]> = [
    ["GET", "/bob/cat.png", 'this token may not read "bob/cat.png"'],
    ["PUT", "/shared/readme.txt", 'this token may not write "shared/readme.txt"'],
    ["DELETE", "/shared/readme.txt", 'this token may not delete "shared/readme.txt"'],
    ["PUT", "/public/logo.png", 'this token may not write "public/logo.png"'],
    ["GET", "/alicex/cat.png", 'this token may not read "alicex/cat.png"'],
    ["GET", "/ALICE/cat.png", 'this token may not read "ALICE/cat.png"'],
  ];
  for (const [method, path, message] of forbidden) {
    it(`alice may not ${method} ${path}: 403`, async () => {
      const { result, body } = await call(method, path, await valid("alice"));
      expect(result.statusCode).to.equal(403);
      expect(body).to.deep.equal({ error: { code: "Forbidden", message } });
    });
  }

  for (const path of [
    "/alice/..%2Fbob/x",
    "/alice%2F..%2Fbob%2Fx",
    "/alice/%2e%2e/bob/x",
    "/alice/./../bob/x",
    "/alice//../bob",
  ]) {
    it(`an encoding trick ${path} never reaches another prefix: 400`, async () => {
      const { result, body } = await call("PUT", path, await valid("alice"));
      expect(result.statusCode).to.equal(400);
      expect(body.error.code).to.equal("InvalidKey");
    });
  }

  for (const sub of ["..", "../bob", "bob/x", "", ".", "a\nb", 12, null]) {
    it(`a sub claim of ${JSON.stringify(sub)} grants no prefix`, async () => {
      const token = await valid(sub);
      for (const path of ["/bob/x", "/x", "/12/x"]) {
        const { result } = await call("PUT", path, token);
        expect(result.statusCode, `${path}`).to.equal(sub === 12 && path === "/12/x" ? 307 : 403);
      }
    });
  }

  it("anonymous reads of the public prefix need no token", async () => {
    const { result } = await call("GET", "/public/logo.png");
    expect(result.statusCode).to.equal(307);
  });

  it("a missing token is 401 with a Bearer challenge", async () => {
    const { result, body } = await call("GET", "/alice/cat.png");
    expect(result.statusCode).to.equal(401);
    expect(result.headers?.["www-authenticate"]).to.equal(REALM);
    expect(body).to.deep.equal({ error: { code: "Unauthorized", message: "a bearer token is required" } });
  });

  it("a non-bearer Authorization header is 401 invalid_request", async () => {
    const { handle } = jwtHarness();
    const result = await handle(
      functionUrlEvent("GET", "/alice/a", { headers: { authorization: "Basic YWxpY2U6cHc=" } }),
    );
    expect(result.statusCode).to.equal(401);
    expect(result.headers?.["www-authenticate"]).to.equal(`${REALM}, error="invalid_request"`);
  });

  const refusals: Array<[string, () => Promise<string>, string]> = [
    [
      "expired",
      () => jwks.sign({ sub: "alice" }, { iat: NOW_S - 700, expiresIn: NOW_S - 100 }),
      "the token has expired",
    ],
    [
      "not yet valid",
      () => jwks.sign({ sub: "alice" }, { iat: NOW_S, notBefore: NOW_S + 300, expiresIn: NOW_S + 600 }),
      "the token is not valid yet",
    ],
    [
      "for another audience",
      () => jwks.sign({ sub: "alice" }, { iat: NOW_S, expiresIn: NOW_S + 600, audience: "someone-else" }),
      "the token has the wrong audience",
    ],
    [
      "from another issuer",
      () =>
        jwks.sign(
          { sub: "alice" },
          { iat: NOW_S, expiresIn: NOW_S + 600, issuer: "https://evil.example.test/" },
        ),
      "the token has the wrong issuer",
    ],
    [
      "signed by a key not in the JWKS",
      () => jwks.signWithStrangerKey({ sub: "alice", iat: NOW_S, exp: NOW_S + 600 }),
      "the token's signature does not verify",
    ],
    [
      "unsigned (alg none)",
      async () =>
        new UnsecuredJWT({ sub: "alice" })
          .setIssuer(jwks.issuer)
          .setAudience(jwks.audience)
          .setExpirationTime(NOW_S + 600)
          .encode(),
      "the token's algorithm is not allowed",
    ],
    ["malformed", async () => "not.a.jwt", "the token is malformed"],
  ];
  for (const [name, mint, reason] of refusals) {
    it(`a token ${name} is 401 invalid_token, and never logged`, async () => {
      const token = await mint();
      const { result, body, lines } = await call("GET", "/alice/cat.png", token);
      expect(result.statusCode).to.equal(401);
      expect(body).to.deep.equal({
        error: { code: "Unauthorized", message: `the bearer token was refused: ${reason}` },
      });
      expect(result.headers?.["www-authenticate"]).to.equal(
        `${REALM}, error="invalid_token", error_description="${reason}"`,
      );
      expect(JSON.stringify(lines)).to.not.include(token);
    });
  }

  it("an unreachable JWKS at cold start is a 503 with Retry-After, not the caller's fault", async () => {
    const { handle, lines } = harness(
      baseConfig({
        auth: {
          mode: "jwt",
          issuer: jwks.issuer,
          audience: jwks.audience,
          jwksUrl: "http://127.0.0.1:1/jwks.json",
          rules: { read: ["{sub}/"], write: [], delete: [] },
        },
      }),
    );
    const token = await valid("alice");
    const result = await handle(
      functionUrlEvent("GET", "/alice/a", { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(result.statusCode).to.equal(503);
    expect(result.headers?.["retry-after"]).to.equal("10");
    expect(JSON.parse(result.body ?? "")).to.deep.equal({ error: UNAVAILABLE });
    expect(JSON.stringify(lines)).to.not.include(token);
  });
});

describe("auth: jwt scopes per action", () => {
  let jwks: JwksFixture;
  before(async () => {
    jwks = await startJwks();
  });
  after(() => jwks.close());

  const SCOPES = { read: "files.read", write: "files.write", delete: "files.delete" };
  async function call(
    method: string,
    path: string,
    claims: Record<string, unknown> | undefined,
    options: { query?: string; body?: unknown; scopes?: Record<string, string> } = {},
  ) {
    const { handle } = harness(
      baseConfig({
        auth: {
          mode: "jwt",
          issuer: jwks.issuer,
          audience: jwks.audience,
          jwksUrl: jwks.url,
          rules: { read: ["{sub}/"], write: ["{sub}/"], delete: ["{sub}/"] },
          ...(options.scopes ? { scopes: options.scopes } : {}),
        },
        publicReadPrefixes: ["public/"],
      }),
    );
    const token =
      claims && (await jwks.sign({ sub: "alice", ...claims }, { iat: NOW_S - 10, expiresIn: NOW_S + 600 }));
    const result = await handle(
      functionUrlEvent(method, path, {
        rawQueryString: options.query ?? "",
        headers: { accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      }),
    );
    return [result.statusCode, result.body ? JSON.parse(result.body) : undefined] as const;
  }
  const forbidden = (message: string) => [403, { error: { code: "Forbidden", message } }] as const;

  it("each action needs its configured scope, from `scope` (space-separated) or `scp` (an array)", async () => {
    const scopes = SCOPES;
    expect((await call("GET", "/alice/a.txt", { scope: "files.read" }, { scopes }))[0]).to.equal(200);
    expect(await call("PUT", "/alice/a.txt", { scope: "files.read" }, { scopes })).to.deep.equal(
      forbidden("write needs the scope 'files.write' in the token"),
    );
    expect((await call("PUT", "/alice/a.txt", { scope: "openid files.write" }, { scopes }))[0]).to.equal(200);
    expect((await call("PUT", "/alice/a.txt", { scp: ["files.write"] }, { scopes }))[0]).to.equal(200);
    expect(
      await call("DELETE", "/alice/a.txt", { scp: ["files.read", "files.write"] }, { scopes }),
    ).to.deep.equal(forbidden("delete needs the scope 'files.delete' in the token"));
    // A scope is a whole word of the claim, not a part of one.
    expect(await call("GET", "/alice/a.txt", { scope: "files.readonly" }, { scopes })).to.deep.equal(
      forbidden("read needs the scope 'files.read' in the token"),
    );
  });

  it("without configured scopes, read, write and delete need none", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      expect((await call(method, "/alice/a.txt", {}))[0], method).to.equal(200);
    }
  });

  it("a purge needs the purge scope even when no scope is configured, and the delete scope when one is", async () => {
    expect(await call("DELETE", "/alice/a.txt", { scope: "delete" }, { query: "purge" })).to.deep.equal(
      forbidden("purge needs the scope 'purge' in the token"),
    );
    expect(
      await call(
        "DELETE",
        "/alice/a.txt",
        { scope: "files.purge" },
        { query: "purge", scopes: { ...SCOPES, purge: "files.purge" } },
      ),
    ).to.deep.equal(forbidden("purge needs the scope 'files.delete' in the token"));
    expect(
      await call(
        "POST",
        "/",
        { scope: "files.delete" },
        { query: "delete&purge", body: { keys: ["alice/a"] }, scopes: SCOPES },
      ),
    ).to.deep.equal(forbidden("purge needs the scope 'purge' in the token"));
    // The scope is not enough by itself: the key must be within the delete rules too.
    expect(await call("DELETE", "/bob/a.txt", { scope: "purge" }, { query: "purge" })).to.deep.equal(
      forbidden('this token may not purge "bob/a.txt"'),
    );
  });

  it("many-key requests check the scope too: a batch delete without it is 403; a listing shows only what anyone may read", async () => {
    expect(
      await call(
        "POST",
        "/",
        { scope: "files.read" },
        { query: "delete", body: { keys: ["alice/a"] }, scopes: SCOPES },
      ),
    ).to.deep.equal(forbidden("delete needs the scope 'files.delete' in the token"));
    expect(await call("GET", "/alice/", { scope: "files.write" }, { scopes: SCOPES })).to.deep.equal(
      forbidden("read needs the scope 'files.read' in the token"),
    );
    expect(await call("GET", "/", { scope: "files.write" }, { scopes: SCOPES })).to.deep.equal([
      200,
      { prefix: "", objects: [], prefixes: ["public/"], next: null },
    ]);
    // Anonymous reads of public prefixes need no token, so no scope either.
    expect((await call("GET", "/public/logo.png", undefined, { scopes: SCOPES }))[0]).to.equal(200);
  });
});

describe("auth: iam and public modes", () => {
  it("iam: a SigV4-authenticated caller (authorizer.iam present) may do everything", async () => {
    const { handle, lines } = harness(baseConfig({ auth: { mode: "iam" } }));
    for (const method of ["GET", "PUT", "DELETE"]) {
      const result = await handle(
        functionUrlEvent(method, "/x/y", { iamUserArn: "arn:aws:iam::111122223333:role/uploader" }),
      );
      expect(result.statusCode).to.equal(307);
    }
    expect(lines[0]).to.include({ principal: "iam:arn:aws:iam::111122223333:role/uploader" });
  });

  it("iam: a request without IAM context is refused with 401", async () => {
    const { handle } = harness(baseConfig({ auth: { mode: "iam" }, publicReadPrefixes: ["public/"] }));
    const result = await handle(functionUrlEvent("PUT", "/public/a"));
    expect(result.statusCode).to.equal(401);
    expect(result.headers?.["www-authenticate"]).to.equal("AWS4-HMAC-SHA256");
    expect(JSON.parse(result.body ?? "")).to.deep.equal({
      error: { code: "Unauthorized", message: "this API requires AWS SigV4-signed requests" },
    });
    expect((await handle(functionUrlEvent("GET", "/public/a"))).statusCode).to.equal(307);
  });

  it("iam: an unsigned listing of a private prefix is 401 with the SigV4 challenge, as the read is; of / it shows the public prefixes", async () => {
    const { handle } = harness(baseConfig({ auth: { mode: "iam" }, publicReadPrefixes: ["public/"] }));
    for (const path of ["/private/", "/private/a.txt"]) {
      const result = await handle(functionUrlEvent("GET", path, { headers: { accept: "application/json" } }));
      expect(
        [result.statusCode, result.headers?.["www-authenticate"], JSON.parse(result.body ?? "")],
        path,
      ).to.deep.equal([
        401,
        "AWS4-HMAC-SHA256",
        { error: { code: "Unauthorized", message: "this API requires AWS SigV4-signed requests" } },
      ]);
    }
    const root = await handle(functionUrlEvent("GET", "/", { headers: { accept: "application/json" } }));
    expect([root.statusCode, JSON.parse(root.body ?? "")]).to.deep.equal([
      200,
      { prefix: "", objects: [], prefixes: ["public/"], next: null },
    ]);
  });

  it("public: anyone may read, write and delete", async () => {
    const { handle } = harness(baseConfig({ auth: { mode: "public" } }));
    for (const method of ["GET", "HEAD", "PUT", "DELETE"]) {
      expect((await handle(functionUrlEvent(method, "/anything/at/all"))).statusCode).to.equal(307);
    }
  });
});

describe("access rule templates", () => {
  it("expand claims that are single safe segments only", () => {
    expect(expandTemplate("{sub}/", { sub: "alice" })).to.equal("alice/");
    expect(expandTemplate("teams/{team}/{sub}/", { sub: "alice", team: "red" })).to.equal("teams/red/alice/");
    expect(expandTemplate("{sub}/", { sub: "a/b" })).to.equal(undefined);
    expect(expandTemplate("{sub}/", {})).to.equal(undefined);
    expect(expandTemplate("{sub}/", { sub: ["alice"] })).to.equal(undefined);
    expect(expandTemplate("shared/", {})).to.equal("shared/");
  });
});

describe("config parsing", () => {
  const valid = {
    s3: { bucket: "b", region: "eu-west-1" },
    cdnBaseUrl: "https://d.cloudfront.net/",
    keyPairId: "K1",
    expirySeconds: 300,
    cdn: { distributionId: "E2QWRUHAPOMQZL" },
  };
  it("fills defaults", () => {
    expect(parseHandlerConfig(valid)).to.deep.equal({
      s3: { bucket: "b", region: "eu-west-1" },
      cdnBaseUrl: "https://d.cloudfront.net",
      keyPairId: "K1",
      hashAlgorithm: "SHA256",
      expirySeconds: 300,
      maxReadExpirySeconds: 86_400,
      maxWriteExpirySeconds: 3_600,
      auth: { mode: "iam" },
      publicReadPrefixes: [],
      uploads: {
        maxUploadBytes: 5 * 1024 ** 4,
        allowedContentTypes: [],
        partSizeBytes: 8 * 1024 ** 2,
        requireChecksum: false,
        allowedMetadata: [],
      },
      cdn: { distributionId: "E2QWRUHAPOMQZL" },
    });
  });
  it("keeps the CloudFront API endpoint without its trailing slash, the checksum rule and a jwt purge scope", () => {
    const parsed = parseHandlerConfig({
      ...valid,
      cdn: { distributionId: "E1", apiEndpoint: "http://127.0.0.1:4000/" },
      uploads: { requireChecksum: true },
      auth: {
        mode: "jwt",
        issuer: "https://id.example.com/",
        audience: "files",
        jwksUrl: "https://id.example.com/jwks.json",
      },
    });
    expect(parsed.cdn).to.deep.equal({ distributionId: "E1", apiEndpoint: "http://127.0.0.1:4000" });
    expect(parsed.uploads.requireChecksum).to.equal(true);
    expect(parsed.auth).to.deep.include({ mode: "jwt", scopes: { purge: "purge" } });
    const scoped = parseHandlerConfig({
      ...valid,
      auth: {
        mode: "jwt",
        issuer: "https://id.example.com/",
        audience: "files",
        jwksUrl: "https://id.example.com/jwks.json",
        scopes: { read: "files.read", purge: "files.admin" },
      },
    });
    expect(scoped.auth).to.deep.include({ scopes: { read: "files.read", purge: "files.admin" } });
  });
  it("keeps the partition's DNS suffix and the expiry limits it is given", () => {
    const parsed = parseHandlerConfig({
      ...valid,
      s3: { bucket: "b", region: "cn-north-1", dnsSuffix: "amazonaws.com.cn" },
      maxReadExpirySeconds: 604_800,
      maxWriteExpirySeconds: 900,
    });
    expect(parsed.s3).to.deep.equal({ bucket: "b", region: "cn-north-1", dnsSuffix: "amazonaws.com.cn" });
    expect([parsed.maxReadExpirySeconds, parsed.maxWriteExpirySeconds]).to.deep.equal([604_800, 900]);
  });
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ expirySeconds: 0 }, "[expirySeconds] must be between 1 and 604800, got 0"],
    [{ maxWriteExpirySeconds: 3601 }, "[maxWriteExpirySeconds] must be between 1 and 3600, got 3601"],
    [{ maxReadExpirySeconds: 0 }, "[maxReadExpirySeconds] must be between 1 and 604800, got 0"],
    [{ maxReadExpirySeconds: 60 }, "[expirySeconds] must not exceed maxReadExpirySeconds (60), got 300"],
    [
      { s3: { bucket: "b", region: "r", dnsSuffix: "" } },
      '[s3.dnsSuffix] must be a non-empty string, got ""',
    ],
    [{ expirySeconds: 604801 }, "[expirySeconds] must be between 1 and 604800, got 604801"],
    [{ expirySeconds: 1.5 }, "[expirySeconds] must be between 1 and 604800, got 1.5"],
    [{ hashAlgorithm: "MD5" }, '[hashAlgorithm] must be SHA1 or SHA256, got "MD5"'],
    [{ keyPairId: "" }, '[keyPairId] must be a non-empty string, got ""'],
    [
      { uploads: { maxUploadBytes: 0 } },
      "[uploads.maxUploadBytes] must be between 1 and 5497558138880, got 0",
    ],
    [
      { uploads: { allowedContentTypes: ["Image/PNG"] } },
      '[uploads.allowedContentTypes] must be lower-case type/subtype or type/* entries, got ["Image/PNG"]',
    ],
    [
      { uploads: { partSizeBytes: 1048576 } },
      "[uploads.partSizeBytes] must be between 5242880 and 5368709120, got 1048576",
    ],
    [{ auth: { mode: "oauth" } }, '[auth.mode] must be one of iam, jwt, public, got "oauth"'],
    [{ cdn: undefined }, "[cdn] must be an object, got undefined"],
    [{ cdn: { distributionId: "" } }, '[cdn.distributionId] must be a non-empty string, got ""'],
    [
      { cdn: { distributionId: "E1", apiEndpoint: "ftp://x" } },
      '[cdn.apiEndpoint] must be an http(s) URL, got "ftp://x"',
    ],
    [{ uploads: { requireChecksum: "yes" } }, '[uploads.requireChecksum] must be true or false, got "yes"'],
    [
      { uploads: { allowedMetadata: ["x-amz-meta-caption", "Caption"] } },
      '[uploads.allowedMetadata] must be lower-case metadata names without x-amz-meta-, got ["x-amz-meta-caption","Caption"]',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://j", scopes: { list: "x" } } },
      '[auth.scopes] names read, write, delete or purge, got "list"',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://j", scopes: { read: "" } } },
      '[auth.scopes.read] must be a non-empty string, got ""',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "ftp://x" } },
      '[auth.jwksUrl] must be an http(s) URL, got "ftp://x"',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://x", algorithms: ["HS256"] } },
      '[auth.algorithms] must be a non-empty subset of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, got ["HS256"]',
    ],
    [
      { auth: { mode: "jwt", issuer: "i", audience: "a", jwksUrl: "https://x", rules: { read: ["{sub}"] } } },
      '[auth.rules.read[0]] must end with "/" so that it names a folder, got "{sub}"',
    ],
    [
      {
        auth: {
          mode: "jwt",
          issuer: "i",
          audience: "a",
          jwksUrl: "https://x",
          rules: { write: ["../{sub}/"] },
        },
      },
      '[auth.rules.write[0]] must not have empty, "." or ".." segments, got "../{sub}/"',
    ],
    [
      { publicReadPrefixes: ["public"] },
      '[publicReadPrefixes[0]] must end with "/" so that it names a folder, got "public"',
    ],
  ];
  for (const [override, message] of bad) {
    it(`refuses ${JSON.stringify(override)}`, () => {
      expect(() => parseHandlerConfig({ ...valid, ...override })).to.throw(ConfigError, message);
    });
  }
});
