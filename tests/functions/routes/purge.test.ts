import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ServiceUnavailable } from "../../../functions/api/http-error";
import { type FileStore, s3FileStore } from "../../../functions/s3/files";
import { s3ObjectLookup } from "../../../functions/s3/objects";
import { S3Presigner } from "../../../functions/signers/s3-presigner";
import { type RunningStorage, startStorage } from "../../../local/storage/server";
import { functionUrlEvent } from "../../support/events";
import { baseConfig, type FakeCloudFront, harness, startFakeCloudFront } from "../../support/handler-harness";

const writer = { accessKeyId: "FUNCTIONROLE", secretAccessKey: randomBytes(20).toString("hex") };
const reader = { accessKeyId: "EDGEOAC", secretAccessKey: randomBytes(20).toString("hex") };

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in the assertions, each against an exact value.
type Json = any;

const batchXml = (paths: readonly string[], reference: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">' +
  `<Paths><Quantity>${paths.length}</Quantity><Items>${paths.map((p) => `<Path>${p}</Path>`).join("")}</Items></Paths>` +
  `<CallerReference>${reference}</CallerReference></InvalidationBatch>`;

describe("purge: every version deleted, and the CDN's copies invalidated", function () {
  this.timeout(120_000);
  let dataDir: string;
  let storage: RunningStorage;
  let cloudfront: FakeCloudFront;
  let requestNumber = 0;

  const s3 = () => ({ bucket: "files", region: "us-east-1", endpoint: storage.url });
  function call(
    method: string,
    path: string,
    options: { query?: string; body?: unknown; headers?: Record<string, string>; files?: FileStore } = {},
  ) {
    const clock = () => new Date();
    const config = baseConfig({
      s3: s3(),
      cdn: { distributionId: "E2QWRUHAPOMQZL", apiEndpoint: cloudfront.url },
    });
    const { handle } = harness(config, undefined, {
      credentials: async () => writer,
      clock,
      objects: s3ObjectLookup(new S3Presigner(s3(), async () => writer), clock),
      ...(options.files ? { files: options.files } : {}),
    });
    const event = functionUrlEvent(method, path, {
      rawQueryString: options.query ?? "",
      headers: { accept: "application/json", ...options.headers },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const requestId = `req-${++requestNumber}`;
    return handle({ ...event, requestContext: { ...event.requestContext, requestId } }).then((result) => ({
      status: result.statusCode,
      body: result.body ? (JSON.parse(result.body) as Json) : undefined,
      headers: { ...result.headers },
      requestId,
    }));
  }
  async function put(key: string, bytes: Buffer): Promise<void> {
    const step = await call("PUT", `/${key.split("/").map(encodeURIComponent).join("/")}`);
    const res = await fetch(step.body.url, { method: "PUT", headers: step.body.headers, body: bytes });
    expect(res.status, await res.text()).to.equal(200);
  }
  async function remove(key: string): Promise<void> {
    const step = await call("DELETE", `/${key.split("/").map(encodeURIComponent).join("/")}`);
    expect((await fetch(step.body.url, { method: "DELETE" })).status).to.equal(204);
  }
  const versionsOf = async (key: string) =>
    (await s3FileStore(s3(), async () => writer).allVersions(key)).length;
  const readable = async (key: string, versionId: string) => {
    const url = await new S3Presigner(s3(), async () => reader).presign({
      method: "GET",
      key,
      query: { versionId },
      expiresInSeconds: 60,
      now: new Date(),
    });
    return (await fetch(url)).status;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-purge-"));
    storage = await startStorage({ dataDir, bucket: "files", writer, reader, log: () => {} });
  });
  beforeEach(async () => {
    // The function's own credentials sign its CreateInvalidation; the fake verifies them.
    cloudfront = await startFakeCloudFront(writer, () => new Date());
  });
  afterEach(() => cloudfront.close());
  after(async () => {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("DELETE ?purge deletes every version and delete marker of exactly the key, and invalidates its path with *", async () => {
    await put("pur/a b+c.txt", Buffer.from("1"));
    const first = (await call("GET", "/pur/a%20b%2Bc.txt")).body.object.versionId as string;
    await put("pur/a b+c.txt", Buffer.from("22"));
    await remove("pur/a b+c.txt");
    await put("pur/a b+c.txt", Buffer.from("333"));
    // Keys the purged key is a prefix of stay.
    await put("pur/a b+c.txt/child", Buffer.from("c"));
    await put("pur/a b+c.txtx", Buffer.from("x"));
    expect(await versionsOf("pur/a b+c.txt")).to.equal(4);
    expect(await readable("pur/a b+c.txt", first)).to.equal(200);
    const res = await call("DELETE", "/pur/a%20b%2Bc.txt", { query: "purge" });
    expect([res.status, res.body]).to.deep.equal([
      200,
      {
        key: "pur/a b+c.txt",
        deletedVersions: 4,
        invalidation: { id: "I0000000000001", status: "InProgress", paths: ["/pur/a%20b%2Bc.txt*"] },
      },
    ]);
    expect(await versionsOf("pur/a b+c.txt")).to.equal(0);
    // The CDN's reader has no s3:ListBucket, so a version that is gone is 403 to it, as on AWS.
    expect(await readable("pur/a b+c.txt", first)).to.equal(403);
    expect(await versionsOf("pur/a b+c.txt/child")).to.equal(1);
    expect(await versionsOf("pur/a b+c.txtx")).to.equal(1);
    expect(cloudfront.requests.map((r) => [r.method, r.path, r.verified, r.body])).to.deep.equal([
      [
        "POST",
        "/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation",
        true,
        batchXml(["/pur/a%20b%2Bc.txt*"], `purge-${res.requestId}`),
      ],
    ]);
  });

  it("a key with no versions left is still invalidated, with deletedVersions 0, so a retried purge reaches the CDN", async () => {
    const res = await call("DELETE", "/pur/never.txt", { query: "purge" });
    expect([res.status, res.body]).to.deep.equal([
      200,
      {
        key: "pur/never.txt",
        deletedVersions: 0,
        invalidation: { id: "I0000000000001", status: "InProgress", paths: ["/pur/never.txt*"] },
      },
    ]);
    expect(cloudfront.requests).to.have.length(1);
  });

  for (const [what, answer] of [
    [
      "CloudFront refuses (TooManyInvalidationsInProgress)",
      { status: 400, code: "TooManyInvalidationsInProgress" },
    ],
    ["CloudFront is down", { status: 503, code: "ServiceUnavailable" }],
  ] as const) {
    it(`${what}: 503 InvalidationFailed with Retry-After, saying the versions are gone; the retry invalidates`, async () => {
      await put("pur/down.txt", Buffer.from("1"));
      await put("pur/down.txt", Buffer.from("2"));
      cloudfront.answerWith(answer);
      const res = await call("DELETE", "/pur/down.txt", { query: "purge" });
      expect([res.status, res.body, res.headers["retry-after"]]).to.deep.equal([
        503,
        {
          error: {
            code: "InvalidationFailed",
            message:
              "2 versions of pur/down.txt deleted; the CDN could not be asked to drop its copies, so it may serve cached copies until the purge is retried and its invalidation completes, or until the read URLs already issued expire; retry the purge",
          },
        },
        "5",
      ]);
      expect(await versionsOf("pur/down.txt")).to.equal(0);
      cloudfront.answerWith("created");
      const retry = await call("DELETE", "/pur/down.txt", { query: "purge" });
      expect([retry.status, retry.body.deletedVersions, retry.body.invalidation.paths]).to.deep.equal([
        200,
        0,
        ["/pur/down.txt*"],
      ]);
    });
  }

  it("POST /?delete&purge purges each key (one invalidation for all) and reports the keys it could not", async () => {
    await put("bp/one.txt", Buffer.from("1"));
    await put("bp/one.txt", Buffer.from("11"));
    await put("bp/two.txt", Buffer.from("2"));
    const res = await call("POST", "/", {
      query: "delete&purge",
      body: { keys: ["bp/one.txt", "bp/../x", "bp/two.txt", "bp/gone.txt", "bp/one.txt"] },
    });
    expect([res.status, res.body]).to.deep.equal([
      200,
      {
        purged: [
          { key: "bp/one.txt", deletedVersions: 2 },
          { key: "bp/two.txt", deletedVersions: 1 },
          { key: "bp/gone.txt", deletedVersions: 0 },
        ],
        errors: [
          {
            key: "bp/../x",
            code: "InvalidKey",
            message: 'the key has an empty, "." or ".." segment: ".." is not allowed',
          },
        ],
        invalidation: {
          id: "I0000000000001",
          status: "InProgress",
          paths: ["/bp/gone.txt*", "/bp/one.txt*", "/bp/two.txt*"],
        },
      },
    ]);
    expect(cloudfront.requests.map((r) => [r.verified, r.body])).to.deep.equal([
      [true, batchXml(["/bp/gone.txt*", "/bp/one.txt*", "/bp/two.txt*"], `purge-${res.requestId}`)],
    ]);
    expect([await versionsOf("bp/one.txt"), await versionsOf("bp/two.txt")]).to.deep.equal([0, 0]);
  });

  it("versions S3 would not delete: the purge still invalidates, then answers 503 PurgeIncomplete so the caller retries", async () => {
    await put("pur/stuck.txt", Buffer.from("1"));
    await put("pur/stuck.txt", Buffer.from("2"));
    const real = s3FileStore(s3(), async () => writer);
    const [kept] = await real.allVersions("pur/stuck.txt");
    const refusing: FileStore = {
      ...real,
      deleteEntries: async (entries) => {
        const outcome = await real.deleteEntries(entries.filter((e) => e.versionId !== kept?.versionId));
        return {
          deleted: outcome.deleted,
          errors: [
            {
              key: "pur/stuck.txt",
              versionId: kept?.versionId ?? "",
              code: "AccessDenied",
              message: "Access Denied",
            },
          ],
        };
      },
    };
    const res = await call("DELETE", "/pur/stuck.txt", { query: "purge", files: refusing });
    expect([res.status, res.body, res.headers["retry-after"]]).to.deep.equal([
      503,
      {
        error: {
          code: "PurgeIncomplete",
          message: "1 version of pur/stuck.txt deleted, 1 version not (AccessDenied); retry the purge",
        },
      },
      "5",
    ]);
    expect(cloudfront.requests.map((r) => r.body)).to.deep.equal([
      batchXml(["/pur/stuck.txt*"], `purge-${res.requestId}`),
    ]);
    const retry = await call("DELETE", "/pur/stuck.txt", { query: "purge" });
    expect([retry.status, retry.body.deletedVersions]).to.deep.equal([200, 1]);
  });

  it("a batch purge names the keys whose versions could not be listed or deleted, and purges the rest", async () => {
    await put("bq/ok.txt", Buffer.from("1"));
    await put("bq/stuck.txt", Buffer.from("2"));
    const real = s3FileStore(s3(), async () => writer);
    const [stuck] = await real.allVersions("bq/stuck.txt");
    const failing: FileStore = {
      ...real,
      allVersions: async (key) => {
        if (key === "bq/down.txt")
          throw new ServiceUnavailable("the storage service is unavailable; try again later");
        return real.allVersions(key);
      },
      deleteEntries: async (entries) => {
        const outcome = await real.deleteEntries(entries.filter((e) => e.key !== "bq/stuck.txt"));
        const refused = {
          key: "bq/stuck.txt",
          versionId: stuck?.versionId ?? "",
          code: "AccessDenied",
          message: "Access Denied",
        };
        return { deleted: outcome.deleted, errors: [refused] };
      },
    };
    const res = await call("POST", "/", {
      query: "delete&purge",
      body: { keys: ["bq/down.txt", "bq/stuck.txt", "bq/ok.txt"] },
      files: failing,
    });
    expect([res.status, res.body]).to.deep.equal([
      200,
      {
        purged: [{ key: "bq/ok.txt", deletedVersions: 1 }],
        errors: [
          {
            key: "bq/down.txt",
            code: "ServiceUnavailable",
            message: "its versions could not be listed, so nothing of it was deleted; try again later",
          },
          {
            key: "bq/stuck.txt",
            code: "AccessDenied",
            message: `Access Denied (version ${stuck?.versionId})`,
          },
        ],
        invalidation: {
          id: "I0000000000001",
          status: "InProgress",
          paths: ["/bq/ok.txt*", "/bq/stuck.txt*"],
        },
      },
    ]);
  });

  it("a batch purge of more keys than CloudFront takes wildcard paths at once merges paths, to at most 15", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `wide/k${String(i).padStart(2, "0")}`);
    const res = await call("POST", "/", { query: "delete&purge", body: { keys } });
    expect(res.status).to.equal(200);
    expect(res.body.invalidation.paths).to.deep.equal([
      "/wide/k0*",
      ...Array.from({ length: 10 }, (_, i) => `/wide/k1${i}*`),
    ]);
  });

  it("a batch purge whose keys are all refused invalidates nothing: invalidation null", async () => {
    const res = await call("POST", "/", { query: "delete&purge", body: { keys: ["a//b"] } });
    expect([res.status, res.body.purged, res.body.invalidation, cloudfront.requests.length]).to.deep.equal([
      200,
      [],
      null,
      0,
    ]);
  });

  it("the batch purge, like the batch delete, is on / only", async () => {
    const res = await call("POST", "/bp/", { query: "delete&purge", body: { keys: ["bp/x"] } });
    expect([res.status, res.body.error.code]).to.deep.equal([400, "InvalidQuery"]);
  });
});
