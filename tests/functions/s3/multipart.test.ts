import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { HttpError, NotFound, ServiceUnavailable } from "../../../functions/api/http-error";
import { lazyS3Client, storageUnavailable } from "../../../functions/s3/client";
import { s3FileStore } from "../../../functions/s3/files";
import { s3MultipartStore } from "../../../functions/s3/multipart";
import type { S3Target } from "../../../functions/signers/s3-presigner";
import {
  BUCKET,
  REGION,
  type StorageFixture,
  startStorageFixture,
  WRITER,
} from "../../local/storage/fixture";

const CREDENTIALS = async () => ({ accessKeyId: "AKIDFUNCTIONROLE", secretAccessKey: "role/secret" });
const UPLOAD = { length: 0, contentType: "application/octet-stream" } as const;

/** An S3 on 127.0.0.1 that handles requests with `handle`, counting them. */
async function fakeS3(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count += 1;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const target: S3Target = {
    bucket: "files-bucket",
    region: "eu-west-1",
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
  return {
    target,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An S3 that answers every request with one status and XML error code. */
const s3Answering = (status: number, code: string) =>
  fakeS3((req, res) => {
    req.resume();
    res
      .writeHead(status, { "content-type": "application/xml" })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`);
  });

async function closedTarget(): Promise<S3Target> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return { bucket: "files-bucket", region: "eu-west-1", endpoint: `http://127.0.0.1:${port}` };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );

describe("S3 multipart store", function () {
  this.timeout(30_000);

  it("shares one lazily created client per target and credentials", async () => {
    const target = await closedTarget();
    const other = { ...target, bucket: "other-bucket" };
    expect(lazyS3Client(target, CREDENTIALS)).to.equal(lazyS3Client({ ...target }, CREDENTIALS));
    expect(lazyS3Client(other, CREDENTIALS)).to.not.equal(lazyS3Client(target, CREDENTIALS));
    expect(lazyS3Client(target, async () => ({ accessKeyId: "A", secretAccessKey: "B" }))).to.not.equal(
      lazyS3Client(target, CREDENTIALS),
    );
    const loaded = await lazyS3Client(target, CREDENTIALS)();
    expect(await lazyS3Client(target, CREDENTIALS)()).to.equal(loaded);
    expect(loaded.bucket).to.equal("files-bucket");
    expect(await loaded.client.config.region()).to.equal("eu-west-1");
  });

  it("answers 503 with Retry-After when storage refuses connections", async () => {
    const store = s3MultipartStore(await closedTarget(), CREDENTIALS);
    for (const call of [
      () => store.create("photos/big.bin", UPLOAD),
      () => store.listParts("photos/big.bin", "u1"),
      () =>
        store.complete("photos/big.bin", "u1", [{ partNumber: 1, etag: '"e"' }], {
          createOnly: false,
          size: 1,
        }),
      () => store.abort("photos/big.bin", "u1"),
    ]) {
      const error = await failure(call());
      expect(error).to.be.instanceOf(ServiceUnavailable);
      expect((error as HttpError).status).to.equal(503);
      expect((error as HttpError).headers).to.deep.equal({ "retry-after": "5" });
    }
  });

  for (const [status, code] of [
    [503, "SlowDown"],
    [503, "ServiceUnavailable"],
    [500, "InternalError"],
  ] as const) {
    it(`answers 503 when S3 keeps answering ${status} ${code}, after the client's three attempts`, async () => {
      const s3 = await s3Answering(status, code);
      const error = await failure(s3MultipartStore(s3.target, CREDENTIALS).create("photos/big.bin", UPLOAD));
      await s3.close();
      expect(error).to.be.instanceOf(ServiceUnavailable);
      expect(s3.count()).to.equal(3);
    });
  }

  it("maps a gone upload to 404 NoSuchUpload", async () => {
    const s3 = await s3Answering(404, "NoSuchUpload");
    const error = await failure(s3MultipartStore(s3.target, CREDENTIALS).listParts("photos/big.bin", "u1"));
    await s3.close();
    expect(error).to.be.instanceOf(NotFound);
    expect((error as HttpError).code).to.equal("NoSuchUpload");
    expect((error as HttpError).message).to.equal(
      "no multipart upload u1 for this key: it was completed, aborted or has expired",
    );
  });

  it("leaves a refusal that is the function's own fault as it is, for a logged 500", async () => {
    const s3 = await s3Answering(403, "AccessDenied");
    const error = await failure(s3MultipartStore(s3.target, CREDENTIALS).abort("photos/big.bin", "u1"));
    await s3.close();
    expect(error).to.not.be.instanceOf(HttpError);
    expect((error as Error).name).to.equal("AccessDenied");
    expect(s3.count()).to.equal(1);
  });

  it("tells outages from other failures", () => {
    const cases: Array<[unknown, boolean]> = [
      [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), true],
      [Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true],
      [Object.assign(new Error("t"), { name: "TimeoutError" }), true],
      [Object.assign(new Error("s"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } }), true],
      [Object.assign(new Error("b"), { name: "BadGateway", $metadata: { httpStatusCode: 502 } }), true],
      [new Error("fetch failed", { cause: Object.assign(new Error("c"), { code: "EHOSTUNREACH" }) }), true],
      [Object.assign(new Error("d"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }), false],
      [Object.assign(new Error("n"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }), false],
      [new Error("plain"), false],
      ["a string", false],
    ];
    expect(cases.map(([error]) => storageUnavailable(error))).to.deep.equal(cases.map(([, down]) => down));
  });
});

describe("an S3 that takes connections and never answers", function () {
  this.timeout(30_000);

  it("is a 503 for every quick call, multipart and file store alike, once the call's deadline has passed; a batch delete names its keys as unconfirmed", async () => {
    // The deadline is the test's own: it passes once every call has reached the storage, which
    // takes each request and never answers it. Deployed, it is QUICK_CALL_MS from each call's start.
    const CALLS = 11;
    const deadlines: AbortController[] = [];
    const options = {
      deadline: () => {
        const deadline = new AbortController();
        deadlines.push(deadline);
        return deadline.signal;
      },
    };
    let arrivedAll: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrivedAll = resolve;
    });
    const s3 = await fakeS3(() => {
      if (s3.count() === CALLS) arrivedAll();
    });
    const { target } = s3;
    try {
      const multipart = s3MultipartStore(target, CREDENTIALS, options);
      const files = s3FileStore(target, CREDENTIALS, options);
      const calls = {
        create: () => multipart.create("k", UPLOAD),
        listParts: () => multipart.listParts("k", "u1"),
        checkUpload: () => multipart.checkUpload("k", "u1"),
        abort: () => multipart.abort("k", "u1"),
        list: () => files.list("", false, 10, undefined),
        listVersions: () => files.listVersions("k", 10, undefined),
        allVersions: () => files.allVersions("k"),
        deleteOne: () => files.deleteOne("k"),
        deleteVersion: () => files.deleteVersion("k", "v1"),
      };
      const refusals = Object.entries(calls).map(async ([name, call]) => [
        name,
        (await failure(call())) instanceof ServiceUnavailable,
      ]);
      const batch = files.deleteEntries([{ key: "k" }, { key: "k2" }]);
      const batchOf = files.deleteEntries([{ key: "a", versionId: "v1" }]);
      await arrived;
      expect(s3.count()).to.equal(CALLS);
      for (const deadline of deadlines) {
        deadline.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
      }
      expect(Object.fromEntries(await Promise.all(refusals))).to.deep.equal(
        Object.fromEntries(Object.keys(calls).map((n) => [n, true])),
      );
      const unconfirmed = {
        code: "ServiceUnavailable",
        message: "the storage did not confirm this delete in time; it may have happened; send the key again",
      };
      expect(await batch).to.deep.equal({
        deleted: [],
        errors: [
          { key: "k", ...unconfirmed },
          { key: "k2", ...unconfirmed },
        ],
      });
      expect(await batchOf).to.deep.equal({
        deleted: [],
        errors: [{ key: "a", versionId: "v1", ...unconfirmed }],
      });
      // One request each: the deadline covers the call, so no attempt follows the one that hung.
      expect(s3.count()).to.equal(CALLS);
    } finally {
      await s3.close();
    }
  });
});

describe("s3MultipartStore against the local storage: the completion carries the size that was checked", function () {
  this.timeout(30_000);
  let s: StorageFixture;
  before(async () => {
    s = await startStorageFixture();
  });
  after(() => s.close());

  it("a part uploaded again, larger, after the size check fails the completion with 400 InvalidPart; nothing is completed", async () => {
    const store = s3MultipartStore({ bucket: BUCKET, region: REGION, endpoint: s.url }, async () => WRITER);
    const key = "race/big.bin";
    const uploadId = await store.create(key, UPLOAD);
    const putPart = async (partNumber: number, body: Buffer) => {
      const url = await s.presign("PUT", key, { query: { partNumber: String(partNumber), uploadId } });
      const res = await fetch(url, { method: "PUT", body });
      expect(res.status).to.equal(200);
      return res.headers.get("etag") ?? "";
    };
    const MiB = 1024 * 1024;
    await putPart(1, Buffer.alloc(5 * MiB, 1));
    const second = await putPart(2, Buffer.from("x"));
    const checked = (await store.listParts(key, uploadId)).parts.reduce((sum, p) => sum + p.size, 0);
    expect(checked).to.equal(5 * MiB + 1);
    // Between the check and the completion, part 1 comes again, 15 MiB larger.
    const larger = await putPart(1, Buffer.alloc(20 * MiB, 2));
    const parts = [
      { partNumber: 1, etag: larger },
      { partNumber: 2, etag: second },
    ];
    const refused = await store.complete(key, uploadId, parts, { createOnly: false, size: checked }).then(
      () => undefined,
      (error: HttpError) => [error.status, error.code, error.message],
    );
    expect(refused).to.deep.equal([
      400,
      "InvalidPart",
      "a part changed while the upload was being completed, so its parts no longer add up to the size checked; list the parts with GET ?uploadId and complete again",
    ]);
    expect((await fetch(await s.presign("HEAD", key), { method: "HEAD" })).status).to.equal(404);
    // The same parts with the size they add up to complete.
    expect(
      (await store.complete(key, uploadId, parts, { createOnly: false, size: 20 * MiB + 1 })).etag,
    ).to.match(/^"[0-9a-f]{32}-2"$/);
  });
});
