import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { runEvents, writeBundle } from "../../../bench/bundle-process";
import { type FakeAws, startFakeAws } from "../../../bench/fake-aws";
import {
  bundleHandler,
  bundleHash,
  ENTRY_FILE,
  type FunctionBundle,
  PROJECT_ROOT,
} from "../../../components/bundle/function-bundle";
import type { FunctionUrlResult } from "../../../functions/http/function-url";
import { verifySignedUrl } from "../../../local/edge/cloudfront-verify";
import { verifyPresigned } from "../../../local/sigv4";
import { functionUrlEvent } from "../../support/events";
import { startJwks } from "../../support/jwks-server";

const CREDENTIALS = {
  accessKeyId: "AKIDFUNCTIONROLE",
  secretAccessKey: "role/secret+key=",
  sessionToken: "tok/en+=",
};
const BUCKET = "files-bucket-1234";
const PARAMETER = "/signed-file-store/files/signing-key";
const KEY = "photos/cat 1.png";
/** Only the S3 client's own file names itself in a string. */
const S3_CLIENT_MARK = '"S3Client"';

/** A port with nothing listening: connections are refused at once. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/**
 * The files `name` imports statically, and theirs: what loading it reads before any import() runs.
 * The CommonJS entry has every module but the lazy packages inside it, and requires those only
 * inside the functions that need them, which the tests below prove by tracing a real process.
 */
function staticClosure(
  files: Readonly<Record<string, string>>,
  name: string,
  seen = new Set<string>(),
): Set<string> {
  seen.add(name);
  for (const [, target] of (files[name] ?? "").matchAll(
    /(?:^|[;}\n])\s*(?:import|export)\s*(?:[^"'();]*?from\s*)?"\.\/([^"]+)"/g,
  )) {
    if (target && !seen.has(target)) staticClosure(files, target, seen);
  }
  return seen;
}

describe("function bundle", function () {
  this.timeout(120_000);
  let bundle: FunctionBundle;
  let dir: string;

  before(() => {
    bundle = bundleHandler();
    dir = mkdtempSync(path.join(tmpdir(), "sfs-bundle-"));
    writeBundle(dir, bundle);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is byte-identical when built twice, with no absolute path in any file", () => {
    const again = bundleHandler();
    expect(Object.keys(again.files)).to.deep.equal(Object.keys(bundle.files));
    for (const [name, text] of Object.entries(bundle.files)) expect(again.files[name], name).to.equal(text);
    expect(again.sha256).to.equal(bundle.sha256);
    const leaking = Object.entries(bundle.files).filter(
      ([, text]) => text.includes(PROJECT_ROOT) || text.includes(tmpdir()),
    );
    expect(leaking.map(([name]) => name)).to.deep.equal([]);
  });

  it("hashes every file's name and contents", () => {
    expect(bundle.entry).to.equal(ENTRY_FILE);
    expect(bundle.code).to.equal(bundle.files[ENTRY_FILE]);
    expect(bundle.sha256).to.equal(bundleHash(bundle.files));
    const [first] = Object.keys(bundle.files).filter((n) => n !== ENTRY_FILE);
    expect(first).to.be.a("string");
    const renamed = Object.fromEntries(
      Object.entries(bundle.files).map(([n, t]) => [n === first ? `x${n}` : n, t] as const),
    );
    expect(bundleHash(renamed)).to.not.equal(bundle.sha256);
    expect(bundleHash({ ...bundle.files, [ENTRY_FILE]: `${bundle.code} ` })).to.not.equal(bundle.sha256);
  });

  it("keeps the S3 client in its own file and carries no SSM client", () => {
    const withClient = Object.keys(bundle.files).filter((n) => bundle.files[n]?.includes(S3_CLIENT_MARK));
    expect(withClient).to.deep.equal(["client-s3.mjs"]);
    const withSsm = Object.keys(bundle.files).filter((n) =>
      /SSMClient|client-ssm/.test(bundle.files[n] ?? ""),
    );
    expect(withSsm).to.deep.equal([]);
    expect(bundle.code).to.include('import("./client-s3.mjs")');
  });

  it("loads at most 100 KB at start: the entry and the chunks it imports statically", () => {
    const atStart = [...staticClosure(bundle.files, ENTRY_FILE)];
    const bytes = atStart.reduce((sum, n) => sum + Buffer.byteLength(bundle.files[n] ?? ""), 0);
    expect(atStart).to.not.include("client-s3.mjs");
    expect(bytes).to.be.at.most(100 * 1024);
  });

  describe("in a fresh node process", () => {
    let aws: FakeAws;
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    let env: Record<string, string>;

    before(async () => {
      aws = await startFakeAws({
        ...CREDENTIALS,
        bucket: BUCKET,
        parameters: { [PARAMETER]: JSON.stringify({ keyPairId: "KROTATED2", privateKeyPem: pem }) },
        objects: {
          [KEY]: { versionId: "3HL4kqtJvjVBH40Nrjfkd", etag: '"e1"', size: 5, contentType: "image/png" },
        },
      });
      env = {
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
        AWS_ENDPOINT_URL_SSM: aws.url,
        SIGNED_FILE_STORE_SIGNING_KEY_PARAMETER: PARAMETER,
        SIGNED_FILE_STORE_CONFIG: JSON.stringify({
          s3: { bucket: BUCKET, region: "eu-west-1", endpoint: aws.url },
          cdnBaseUrl: "https://d111111abcdef8.cloudfront.net",
          keyPairId: "KFROMCONFIG",
          hashAlgorithm: "SHA256",
          expirySeconds: 300,
          auth: { mode: "public" },
          cdn: { distributionId: "E2QWRUHAPOMQZL" },
        }),
      };
    });
    after(() => aws.close());

    it("answers 503 with Retry-After when SSM or S3 cannot be reached, and still signs a PUT", async () => {
      const closed = await closedPort();
      const withoutSsm = await runEvents(dir, { ...env, AWS_ENDPOINT_URL_SSM: closed }, [
        functionUrlEvent("GET", "/photos/cat%201.png"),
      ]);
      const config = JSON.parse(env.SIGNED_FILE_STORE_CONFIG ?? "{}") as { s3: Record<string, string> };
      const withoutS3 = await runEvents(
        dir,
        {
          ...env,
          SIGNED_FILE_STORE_CONFIG: JSON.stringify({ ...config, s3: { ...config.s3, endpoint: closed } }),
        },
        [
          functionUrlEvent("PUT", "/photos/cat%201.png", { headers: { "content-length": "5" } }),
          functionUrlEvent("POST", "/photos/big.bin", { rawQueryString: "uploads" }),
        ],
      );
      const unavailable = (result: FunctionUrlResult | undefined) => ({
        status: result?.statusCode,
        retryAfter: result?.headers?.["retry-after"],
        code: (JSON.parse(result?.body ?? "{}") as { error?: { code?: string } }).error?.code,
      });
      const expected = { status: 503, retryAfter: "5", code: "ServiceUnavailable" };
      expect(unavailable(withoutSsm.results[0])).to.deep.equal(expected);
      expect(withoutS3.results[0]?.statusCode).to.equal(307);
      expect(unavailable(withoutS3.results[1])).to.deep.equal(expected);
    });

    it("imports no SDK client, answers a PUT and a GET without one, and loads client-s3 for a multipart create", async () => {
      const before = aws.requests.length;
      const report = await runEvents(dir, env, [
        functionUrlEvent("PUT", "/photos/cat%201.png", { headers: { "content-length": "5" } }),
        functionUrlEvent("GET", "/photos/cat%201.png"),
        functionUrlEvent("POST", "/photos/big.bin", { rawQueryString: "uploads" }),
      ]);
      const atStart = [...staticClosure(bundle.files, ENTRY_FILE)].sort();
      const [afterImport, afterPut, afterGet, afterCreate] = report.loads;
      expect([...(afterImport ?? [])].sort()).to.deep.equal(atStart);
      expect(afterPut).to.deep.equal(afterImport);
      expect(afterGet).to.deep.equal(afterImport);
      expect((afterImport ?? []).filter((n) => bundle.files[n]?.includes(S3_CLIENT_MARK))).to.deep.equal([]);
      expect((afterCreate ?? []).filter((n) => bundle.files[n]?.includes(S3_CLIENT_MARK))).to.deep.equal([
        "client-s3.mjs",
      ]);

      const [put, get, create] = report.results;
      expect(put?.statusCode).to.equal(307);
      const putUrl = new URL(put?.headers?.location ?? "");
      expect(`${putUrl.origin}${putUrl.pathname}`).to.equal(`${aws.url}/${BUCKET}/photos/cat%201.png`);
      const putVerdict = verifyPresigned(
        {
          method: "PUT",
          rawPath: putUrl.pathname,
          rawQuery: putUrl.search.slice(1),
          headers: { host: putUrl.host, "content-length": "5" },
        },
        (id) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined),
        new Date(),
      );
      expect(putVerdict.ok).to.equal(true);

      expect(get?.statusCode).to.equal(307);
      const getUrl = new URL(get?.headers?.location ?? "");
      expect(getUrl.pathname).to.equal("/photos/cat%201.png");
      expect(getUrl.searchParams.get("versionId")).to.equal("3HL4kqtJvjVBH40Nrjfkd");
      expect(getUrl.searchParams.get("Key-Pair-Id")).to.equal("KROTATED2");
      const edge = verifySignedUrl(
        getUrl,
        new Map([["KROTATED2", publicKey]]),
        Math.floor(Date.now() / 1000),
        "198.51.100.7",
      );
      expect(edge).to.deep.equal({ ok: true, keyPairId: "KROTATED2" });

      expect(create?.statusCode).to.equal(200);
      expect(JSON.parse(create?.body ?? "")).to.deep.equal({
        uploadId: "upload-1",
        key: "photos/big.bin",
        partSize: 8 * 1024 * 1024,
        maxParts: 10_000,
      });
      const calls = aws.requests.slice(before).map((r) => `${r.service} ${r.operation} ${r.path}`);
      // The GET reads the key and looks the object up at once, so those two arrive in either order.
      expect([...calls.slice(0, 2)].sort()).to.deep.equal([
        `s3 HeadObject /${BUCKET}/photos/cat%201.png`,
        "ssm AmazonSSM.GetParameter /",
      ]);
      expect(calls.slice(2)).to.deep.equal([`s3 CreateMultipartUpload /${BUCKET}/photos/big.bin`]);
    });

    it("in jwt mode loads jose only for the first token, and verifies it", async () => {
      const jwks = await startJwks();
      try {
        const config = JSON.parse(env.SIGNED_FILE_STORE_CONFIG ?? "{}") as Record<string, unknown>;
        const jwtEnv = {
          ...env,
          SIGNED_FILE_STORE_CONFIG: JSON.stringify({
            ...config,
            auth: {
              mode: "jwt",
              issuer: jwks.issuer,
              audience: jwks.audience,
              jwksUrl: jwks.url,
              rules: { write: ["{sub}/"] },
            },
          }),
        };
        const token = await jwks.sign({ sub: "alice" });
        const put = (key: string, headers: Record<string, string> = {}) =>
          functionUrlEvent("PUT", `/${key}`, { headers: { "content-length": "5", ...headers } });
        const report = await runEvents(dir, jwtEnv, [
          put("alice/a.txt"),
          put("alice/a.txt", { authorization: `Bearer ${token}` }),
          put("bob/b.txt", { authorization: `Bearer ${token}` }),
        ]);
        expect(report.results.map((r) => r.statusCode)).to.deep.equal([401, 307, 403]);
        const [afterImport, afterRefused, afterToken] = report.loads;
        expect(afterImport).to.deep.equal(["index.js"]);
        expect(afterRefused).to.deep.equal(["index.js"]);
        expect([...(afterToken ?? [])].sort()).to.deep.equal(["index.js", "jose.js"]);
      } finally {
        await jwks.close();
      }
    });
  });
});
