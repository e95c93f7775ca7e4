import { verify } from "node:crypto";
import { expect } from "chai";
import type { CloudFrontHashAlgorithm } from "../../functions/signers/cloudfront-signer";
import { verifySignedUrl } from "../../local/edge/cloudfront-verify";
import { parseQuery, verifyPresigned } from "../../local/sigv4";
import { functionUrlEvent } from "../support/events";
import { BUCKET, baseConfig, CREDENTIALS, harness, NOW, NOW_S, REGION } from "../support/handler-harness";
import { ecdsaKey, rsaKey, type TestKeyPair } from "../support/keys";
import { VERSION_ID } from "../support/objects";

const S3_HOST = `${BUCKET}.s3.${REGION}.amazonaws.com`;

/** Percent-encodes every UTF-8 byte outside RFC 3986's unreserved set, written apart from the handler's encoder. */
function expectedPath(key: string): string {
  return key
    .split("/")
    .map((segment) =>
      [...Buffer.from(segment, "utf8")]
        .map((byte) => {
          const c = String.fromCharCode(byte);
          return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
        })
        .join(""),
    )
    .join("/");
}

/** How a client would send the key: browsers and curl leave some reserved characters bare. */
function clientPath(key: string): string {
  return `/${key.split("/").map(encodeURIComponent).join("/")}`;
}

const KEYS = [
  "photos/cat.png",
  "with space/a file name.txt",
  "plus+sign/1+1=2.bin",
  "percent%/100%25 sure.txt",
  "star*/a*b(1)!'.txt",
  "hash#/#tag#.png",
  "question?/what?.txt",
  "unicode/Zürich/日本語 ファイル.png",
  "deep/a/b/c/d/e/f/g/h/i/j/k.tar.gz",
  "equals=/k=v&x=y;z.txt",
];

function cloudFrontParams(location: string) {
  const url = new URL(location);
  const query = new Map(
    url.search
      .slice(1)
      .split("&")
      .map((p) => p.split("=") as [string, string]),
  );
  return { url, query };
}

function verifyCloudFront(
  location: string,
  key: TestKeyPair,
  hash: CloudFrontHashAlgorithm,
  resource: string,
  expires: number,
): boolean {
  const { query } = cloudFrontParams(location);
  const policy = `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
  const signature = Buffer.from(
    (query.get("Signature") ?? "").replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"),
    "base64",
  );
  return verify(hash === "SHA256" ? "sha256" : "sha1", Buffer.from(policy), key.publicKey, signature);
}

describe("handler: redirects", () => {
  for (const key of KEYS) {
    describe(`key ${JSON.stringify(key)}`, () => {
      const resource = `https://d111111abcdef8.cloudfront.net/${expectedPath(key)}?versionId=${VERSION_ID}`;

      for (const method of ["GET", "HEAD"]) {
        it(`${method} answers 307 to a CloudFront URL whose signature verifies`, async () => {
          const { handle } = harness(baseConfig());
          const result = await handle(functionUrlEvent(method, clientPath(key)));
          expect(result.statusCode).to.equal(307);
          expect(result.body).to.equal("");
          const location = result.headers?.location ?? "";
          // Valid until 10:05:00; a browser may reuse the redirect for all but the last 30 s of that.
          expect(result.headers).to.deep.equal({ location, "cache-control": "private, max-age=270" });
          const { query } = cloudFrontParams(location);
          expect(location.startsWith(`${resource}&Expires=${NOW_S + 300}&Signature=`)).to.equal(true);
          expect([...query.keys()]).to.deep.equal([
            "versionId",
            "Expires",
            "Signature",
            "Key-Pair-Id",
            "Hash-Algorithm",
          ]);
          expect(query.get("Key-Pair-Id")).to.equal("K2JCJMDEHXQW5F");
          expect(query.get("Hash-Algorithm")).to.equal("SHA256");
          expect(verifyCloudFront(location, ecdsaKey, "SHA256", resource, NOW_S + 300)).to.equal(true);
          expect(verifyCloudFront(location, rsaKey, "SHA256", resource, NOW_S + 300)).to.equal(false);
        });
      }

      for (const method of ["PUT", "DELETE"] as const) {
        it(`${method} answers 307 to an S3 presigned ${method} that verifies`, async () => {
          const { handle } = harness(baseConfig());
          const result = await handle(functionUrlEvent(method, clientPath(key)));
          expect(result.statusCode).to.equal(307);
          const location = new URL(result.headers?.location ?? "");
          expect(location.origin).to.equal(`https://${S3_HOST}`);
          expect(location.pathname).to.equal(`/${expectedPath(key)}`);
          const params = Object.fromEntries(parseQuery(location.search.slice(1)));
          expect(Object.keys(params).sort()).to.deep.equal([
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-Security-Token",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders",
          ]);
          expect(params).to.include({
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": "AKIDEXAMPLE/20261122/eu-west-1/s3/aws4_request",
            "X-Amz-Date": "20261122T100000Z",
            "X-Amz-Expires": "300",
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Security-Token": "session/token+=",
          });
          const request = {
            method,
            rawPath: location.pathname,
            rawQuery: location.search.slice(1),
            headers: { host: S3_HOST },
          };
          const secrets = (id: string) => (id === "AKIDEXAMPLE" ? CREDENTIALS.secretAccessKey : undefined);
          expect(verifyPresigned(request, secrets, NOW)).to.deep.include({
            ok: true,
            accessKeyId: "AKIDEXAMPLE",
          });
          const other = method === "PUT" ? "DELETE" : "PUT";
          expect(verifyPresigned({ ...request, method: other }, secrets, NOW)).to.deep.include({
            ok: false,
            code: "SignatureDoesNotMatch",
          });
          expect(
            verifyPresigned({ ...request, rawPath: `${location.pathname}x` }, secrets, NOW),
          ).to.deep.include({
            ok: false,
            code: "SignatureDoesNotMatch",
          });
          expect(verifyPresigned(request, secrets, new Date(NOW.getTime() + 301_000))).to.deep.equal({
            ok: false,
            code: "AccessDenied",
            message: "Request has expired",
          });
        });
      }
    });
  }

  const algorithms: Array<[TestKeyPair, CloudFrontHashAlgorithm]> = [
    [ecdsaKey, "SHA256"],
    [ecdsaKey, "SHA1"],
    [rsaKey, "SHA256"],
    [rsaKey, "SHA1"],
  ];
  for (const [key, hash] of algorithms) {
    it(`signs with ${key.name} and ${hash}, verifiable by the public key and by the edge verifier`, async () => {
      const { handle } = harness(baseConfig({ hashAlgorithm: hash, expirySeconds: 60 }), key);
      const result = await handle(functionUrlEvent("GET", "/photos/cat.png"));
      const location = result.headers?.location ?? "";
      const resource = `https://d111111abcdef8.cloudfront.net/photos/cat.png?versionId=${VERSION_ID}`;
      expect(verifyCloudFront(location, key, hash, resource, NOW_S + 60)).to.equal(true);
      expect(location.includes("Hash-Algorithm=SHA256")).to.equal(hash === "SHA256");
      const keys = new Map([["K2JCJMDEHXQW5F", key.publicKey]]);
      expect(verifySignedUrl(new URL(location), keys, NOW_S + 59, "198.51.100.7")).to.deep.equal({
        ok: true,
        keyPairId: "K2JCJMDEHXQW5F",
      });
      expect(verifySignedUrl(new URL(location), keys, NOW_S + 60, "198.51.100.7")).to.deep.equal({
        ok: false,
        reason: "the URL has expired",
      });
      const swapped = new URL(location.replace("/photos/cat.png", "/photos/dog.png"));
      expect(verifySignedUrl(swapped, keys, NOW_S, "198.51.100.7")).to.deep.equal({
        ok: false,
        reason: "signature does not verify",
      });
    });
  }
});

describe("handler: JSON mode", () => {
  it("GET with Accept: application/json answers 200 with the instruction", async () => {
    const { handle } = harness(baseConfig());
    const result = await handle(
      functionUrlEvent("GET", "/a/b.txt", { headers: { accept: "text/html, application/json;q=0.9" } }),
    );
    expect(result.statusCode).to.equal(200);
    expect(result.headers).to.deep.equal({ "content-type": "application/json", "cache-control": "no-store" });
    const body = JSON.parse(result.body ?? "");
    expect(Object.keys(body)).to.deep.equal(["method", "url", "headers", "expiresAt", "object"]);
    expect(body.object).to.deep.equal({
      key: "a/b.txt",
      size: 12,
      etag: '"9b2cf535f27731c974343645a3985328"',
      versionId: VERSION_ID,
    });
    expect(body.method).to.equal("GET");
    expect(body.headers).to.deep.equal({});
    expect(body.expiresAt).to.equal("2026-11-22T10:05:00.000Z");
    expect(
      body.url.startsWith(
        `https://d111111abcdef8.cloudfront.net/a/b.txt?versionId=${VERSION_ID}&Expires=${NOW_S + 300}&`,
      ),
    ).to.equal(true);
  });

  it("PUT signs Content-Type and If-None-Match and lists them for the client", async () => {
    const { handle } = harness(baseConfig());
    const result = await handle(
      functionUrlEvent("PUT", "/a/b.png", {
        headers: { accept: "application/json", "content-type": "image/png", "if-none-match": "*" },
      }),
    );
    expect(result.statusCode).to.equal(200);
    const body = JSON.parse(result.body ?? "");
    expect(body.method).to.equal("PUT");
    expect(body.headers).to.deep.equal({ "Content-Type": "image/png", "If-None-Match": "*" });
    expect(body.expiresAt).to.equal("2026-11-22T10:05:00.000Z");
    const url = new URL(body.url);
    expect(Object.fromEntries(parseQuery(url.search.slice(1)))["X-Amz-SignedHeaders"]).to.equal(
      "content-type;host;if-none-match",
    );
    const request = {
      method: "PUT",
      rawPath: url.pathname,
      rawQuery: url.search.slice(1),
      headers: { host: S3_HOST, "content-type": "image/png", "if-none-match": "*" },
    };
    const secrets = () => CREDENTIALS.secretAccessKey;
    expect(verifyPresigned(request, secrets, NOW).ok).to.equal(true);
    expect(
      verifyPresigned({ ...request, headers: { host: S3_HOST, "content-type": "image/png" } }, secrets, NOW),
    ).to.deep.include({
      code: "SignatureDoesNotMatch",
    });
    expect(
      verifyPresigned(
        { ...request, headers: { ...request.headers, "content-type": "text/html" } },
        secrets,
        NOW,
      ),
    ).to.deep.include({
      code: "SignatureDoesNotMatch",
    });
  });

  it("a plain 307 is given when JSON is refused with q=0", async () => {
    const { handle } = harness(baseConfig());
    const result = await handle(
      functionUrlEvent("GET", "/a", { headers: { accept: "application/json;q=0, */*" } }),
    );
    expect(result.statusCode).to.equal(307);
  });

  it("uses the S3-compatible endpoint path-style when one is configured", async () => {
    const { handle } = harness(
      baseConfig({ s3: { bucket: BUCKET, region: "us-east-1", endpoint: "http://127.0.0.1:7480" } }),
    );
    const result = await handle(functionUrlEvent("PUT", "/a%20b/c"));
    const url = new URL(result.headers?.location ?? "");
    expect(url.origin).to.equal("http://127.0.0.1:7480");
    expect(url.pathname).to.equal(`/${BUCKET}/a%20b/c`);
    const request = {
      method: "PUT",
      rawPath: url.pathname,
      rawQuery: url.search.slice(1),
      headers: { host: "127.0.0.1:7480" },
    };
    expect(verifyPresigned(request, () => CREDENTIALS.secretAccessKey, NOW).ok).to.equal(true);
  });
});

const errorCases: Array<[string, string, number, string, string]> = [
  [
    "POST",
    "/a.txt",
    400,
    "InvalidQuery",
    "POST starts a multipart upload (?uploads) or completes one (?uploadId=ID)",
  ],
  [
    "PATCH",
    "/a.txt",
    405,
    "MethodNotAllowed",
    "method PATCH is not allowed here; use one of GET, HEAD, PUT, POST, DELETE",
  ],
  // GET and HEAD of a path ending in "/" list a prefix; other methods need a key.
  ["PUT", "/", 400, "InvalidKey", "the path must name an object key, for example /photos/cat.png"],
  ["GET", "/a//b", 400, "InvalidKey", 'the key has an empty, "." or ".." segment: "" is not allowed'],
  ["DELETE", "/folder/", 400, "InvalidKey", 'the key has an empty, "." or ".." segment: "" is not allowed'],
  ["GET", "/a/./b", 400, "InvalidKey", 'the key has an empty, "." or ".." segment: "." is not allowed'],
  ["PUT", "/a/../b", 400, "InvalidKey", 'the key has an empty, "." or ".." segment: ".." is not allowed'],
  ["PUT", "/a/%2E%2E/b", 400, "InvalidKey", 'the key has an empty, "." or ".." segment: ".." is not allowed'],
  [
    "DELETE",
    "/a%2F..%2Fb",
    400,
    "InvalidKey",
    'the key has an empty, "." or ".." segment: ".." is not allowed',
  ],
  ["GET", "/%ZZ", 400, "InvalidKey", "the path is not valid percent-encoded UTF-8"],
  ["GET", "/%C3%28", 400, "InvalidKey", "the path is not valid percent-encoded UTF-8"],
  ["GET", "/a%00b", 400, "InvalidKey", "the key contains a control character"],
  ["GET", "/a%0Ab", 400, "InvalidKey", "the key contains a control character"],
  ["GET", "/a%7Fb", 400, "InvalidKey", "the key contains a control character"],
  [
    "GET",
    `/${"é".repeat(513)}`,
    400,
    "InvalidKey",
    "the key is 1026 bytes long; the limit is 1024 bytes of UTF-8",
  ],
];

describe("handler: errors", () => {
  for (const [method, path, status, code, message] of errorCases) {
    it(`${method} ${path.slice(0, 40)} answers ${status} ${code}`, async () => {
      const { handle, lines } = harness(baseConfig());
      const result = await handle(functionUrlEvent(method, path));
      expect(result.statusCode).to.equal(status);
      expect(JSON.parse(result.body ?? "")).to.deep.equal({ error: { code, message } });
      const headers = {
        "content-type": "application/json",
        "cache-control": "no-store",
        ...(status === 405 ? { allow: "GET, HEAD, PUT, POST, DELETE" } : {}),
      };
      expect(result.headers).to.deep.equal(headers);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: "info", message: "request", method, status });
    });
  }

  it("a key of exactly 1024 bytes is accepted", async () => {
    const { handle } = harness(baseConfig());
    const result = await handle(functionUrlEvent("GET", `/${"é".repeat(512)}`));
    expect(result.statusCode).to.equal(307);
  });

  it("If-None-Match other than * is refused with 400", async () => {
    const { handle } = harness(baseConfig());
    const result = await handle(functionUrlEvent("PUT", "/a", { headers: { "if-none-match": '"abc"' } }));
    expect(result.statusCode).to.equal(400);
    expect(JSON.parse(result.body ?? "")).to.deep.equal({
      error: {
        code: "InvalidIfNoneMatch",
        message: 'S3 supports only "If-None-Match: *" (create-only) on uploads',
      },
    });
  });

  it("a failure to load the signing key is a generic 500 with the detail only in the log", async () => {
    const { handle, lines } = harness(baseConfig(), ecdsaKey, {
      signingKey: async () => {
        throw new Error("AccessDeniedException: not authorized to perform ssm:GetParameter");
      },
    });
    const result = await handle(functionUrlEvent("GET", "/a"));
    expect(result.statusCode).to.equal(500);
    expect(JSON.parse(result.body ?? "")).to.deep.equal({
      error: { code: "InternalError", message: "the request could not be completed; try again later" },
    });
    expect(result.body).to.not.include("ssm");
    expect(lines.map((l) => l.level)).to.deep.equal(["error", "info"]);
    expect(lines[0]).to.include({
      message: "request failed",
      requestId: "req-1",
      errorMessage: "AccessDeniedException: not authorized to perform ssm:GetParameter",
    });
  });

  it("logs one line per request without signatures or credentials", async () => {
    const { handle, lines } = harness(baseConfig());
    await handle(functionUrlEvent("PUT", "/photos/cat.png"));
    await handle(functionUrlEvent("GET", "/photos/cat.png"));
    expect(lines).to.have.length(2);
    expect(lines[0]).to.include({
      level: "info",
      message: "request",
      requestId: "req-1",
      method: "PUT",
      key: "photos/cat.png",
      principal: "public:public",
      status: 307,
      sourceIp: "198.51.100.7",
    });
    const text = JSON.stringify(lines);
    for (const secret of [
      "Signature",
      "X-Amz-",
      "session/token",
      CREDENTIALS.secretAccessKey,
      "cloudfront.net",
    ]) {
      expect(text).to.not.include(secret);
    }
  });

  it("logs only the query parameters it defines, never a pasted token or signature", async () => {
    const { handle, lines } = harness(baseConfig());
    const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    await handle(
      functionUrlEvent("GET", "/photos/cat.png", {
        rawQueryString: `versionId=v1&token=${token}&X-Amz-Signature=abcdef0123&Signature=xyz~_-`,
      }),
    );
    expect(lines).to.have.length(1);
    expect(lines[0]?.query).to.equal(
      "versionId=v1&token=[redacted]&X-Amz-Signature=[redacted]&Signature=[redacted]",
    );
    const text = JSON.stringify(lines);
    for (const secret of [token, "abcdef0123", "xyz~_-"]) expect(text).to.not.include(secret);
  });
});
