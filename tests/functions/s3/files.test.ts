import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { BadRequest, ServiceUnavailable } from "../../../functions/api/http-error";
import { type FileStore, s3FileStore } from "../../../functions/s3/files";

const CREDENTIALS = async () => ({ accessKeyId: "AKIDFUNCTIONROLE", secretAccessKey: "role/secret" });
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/** An S3 on 127.0.0.1 that records each request with its body and answers from a script. */
async function scriptedS3(answer: (seen: Seen, req: IncomingMessage) => Answer | Promise<Answer>) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(request);
      const { status, body = "", headers = {} } = await answer(request, req);
      res.writeHead(status, { "content-type": "application/xml", ...headers }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    seen,
    store: (options: Parameters<typeof s3FileStore>[2] = {}): FileStore =>
      s3FileStore({ bucket: "files", region: "eu-west-1", endpoint }, CREDENTIALS, options),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const xml = (root: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><${root} ${NS}>${inner}</${root}>`;

/** DeleteObjects' answer for a request body: each object deleted, or an error for keys named in `failing`. */
function deleteResult(body: string, failing: ReadonlySet<string> = new Set()): string {
  const objects = [
    ...body.matchAll(/<Object><Key>([^<]*)<\/Key>(?:<VersionId>([^<]*)<\/VersionId>)?<\/Object>/g),
  ];
  return xml(
    "DeleteResult",
    objects
      .map(([, key, version]) => {
        const v = version ? `<VersionId>${version}</VersionId>` : "";
        return failing.has(key ?? "")
          ? `<Error><Key>${key}</Key>${v}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
          : `<Deleted><Key>${key}</Key>${v}</Deleted>`;
      })
      .join(""),
  );
}

describe("the file store's S3 calls, against a scripted S3", function () {
  this.timeout(30_000);

  it("a listing carries each object's checksum algorithm and type where S3 names them", async () => {
    const s3 = await scriptedS3(() => ({
      status: 200,
      body: xml(
        "ListBucketResult",
        "<Name>files</Name><Prefix>p/</Prefix><KeyCount>3</KeyCount><MaxKeys>10</MaxKeys><IsTruncated>false</IsTruncated>" +
          '<Contents><Key>p/a</Key><LastModified>2026-11-22T09:00:00.000Z</LastModified><ETag>"e1"</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>1</Size></Contents>' +
          '<Contents><Key>p/b</Key><LastModified>2026-11-22T09:00:00.000Z</LastModified><ETag>"e2-3"</ETag><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType><Size>2</Size></Contents>' +
          '<Contents><Key>p/c</Key><LastModified>2026-11-22T09:00:00.000Z</LastModified><ETag>"e3"</ETag><Size>3</Size></Contents>',
      ),
    }));
    try {
      const page = await s3.store().list("p/", true, 10);
      expect(page.objects).to.deep.equal([
        {
          key: "p/a",
          size: 1,
          etag: '"e1"',
          lastModified: "2026-11-22T09:00:00.000Z",
          checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT" },
        },
        {
          key: "p/b",
          size: 2,
          etag: '"e2-3"',
          lastModified: "2026-11-22T09:00:00.000Z",
          checksum: { algorithm: "SHA256", type: "COMPOSITE" },
        },
        { key: "p/c", size: 3, etag: '"e3"', lastModified: "2026-11-22T09:00:00.000Z" },
      ]);
    } finally {
      await s3.close();
    }
  });

  const versionsPage = (more: boolean) =>
    xml(
      "ListVersionsResult",
      `<Name>files</Name><Prefix>k</Prefix><KeyMarker>k</KeyMarker><VersionIdMarker>v0</VersionIdMarker><MaxKeys>1</MaxKeys><IsTruncated>${more}</IsTruncated>` +
        (more ? "<NextKeyMarker>k</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>" : "") +
        '<Version><Key>k</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest><LastModified>2026-11-22T09:00:00.000Z</LastModified><ETag>"e"</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>1</Size></Version>',
    );

  it("?versions&after= checks the version exists: HeadObject, 405 for a delete marker; after a 404 the key's versions are looked through", async () => {
    // HEAD's answer, what the key's versions hold (a delete marker radosgw 16 answers 404 for), the outcome.
    const cases: Array<[number, string, "page" | "InvalidToken", string[]]> = [
      [200, "", "page", ["GET", "HEAD"]],
      [405, "", "page", ["GET", "HEAD"]],
      [400, "", "InvalidToken", ["GET", "HEAD"]],
      [
        404,
        "<DeleteMarker><Key>k</Key><VersionId>v0</VersionId></DeleteMarker>",
        "page",
        ["GET", "GET", "HEAD"],
      ],
      [404, "", "InvalidToken", ["GET", "GET", "HEAD"]],
    ];
    for (const [headStatus, history, outcome, calls] of cases) {
      const s3 = await scriptedS3((seen) => {
        if (seen.method === "HEAD") return { status: headStatus };
        const scan = new URL(seen.url, "http://x").searchParams.get("max-keys") === "1000";
        return {
          status: 200,
          body: scan
            ? xml(
                "ListVersionsResult",
                `<IsTruncated>false</IsTruncated>${history}<Version><Key>k</Key><VersionId>v1</VersionId></Version>`,
              )
            : versionsPage(false),
        };
      });
      try {
        const result = await s3
          .store()
          .listVersions("k", 1, "v0")
          .then(
            (page) => page,
            (error: unknown) => error,
          );
        if (outcome === "page") {
          expect(result, `${headStatus} ${history}`).to.deep.equal({
            versions: [
              {
                versionId: "v1",
                size: 1,
                etag: '"e"',
                lastModified: "2026-11-22T09:00:00.000Z",
                isLatest: false,
                deleteMarker: false,
                checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT" },
              },
            ],
          });
        } else {
          expect(result).to.be.instanceOf(BadRequest);
          expect([(result as BadRequest).code, (result as BadRequest).message]).to.deep.equal([
            "InvalidToken",
            "after must be the next token of the previous page of this listing",
          ]);
        }
        expect(s3.seen.map((s) => s.method).sort(), `${headStatus} ${history}`).to.deep.equal(calls);
      } finally {
        await s3.close();
      }
    }
  });

  it("every version of exactly one key: pages through ListObjectVersions and stops at another key", async () => {
    const s3 = await scriptedS3((seen) => {
      const marker = new URL(seen.url, "http://x").searchParams.get("version-id-marker");
      const body =
        marker === null
          ? "<IsTruncated>true</IsTruncated><NextKeyMarker>k</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker>" +
            "<Version><Key>k</Key><VersionId>v3</VersionId></Version><DeleteMarker><Key>k</Key><VersionId>d1</VersionId></DeleteMarker><Version><Key>k</Key><VersionId>v2</VersionId></Version>"
          : "<IsTruncated>true</IsTruncated><NextKeyMarker>k/other</NextKeyMarker><NextVersionIdMarker>x1</NextVersionIdMarker>" +
            "<Version><Key>k</Key><VersionId>v1</VersionId></Version><Version><Key>k/other</Key><VersionId>x1</VersionId></Version>";
      return { status: 200, body: xml("ListVersionsResult", body) };
    });
    try {
      expect(await s3.store().allVersions("k")).to.deep.equal([
        { key: "k", versionId: "v3" },
        { key: "k", versionId: "v2" },
        { key: "k", versionId: "d1" },
        { key: "k", versionId: "v1" },
      ]);
      expect(s3.seen.map((s) => new URL(s.url, "http://x").search)).to.deep.equal([
        "?max-keys=1000&prefix=k&versions=",
        "?key-marker=k&max-keys=1000&prefix=k&version-id-marker=v2&versions=",
      ]);
    } finally {
      await s3.close();
    }
  });

  it("a batch is sent as chunks at once; each key is reported deleted or with S3's error, in the order given", async () => {
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => {};
    const allArrived = new Promise<void>((resolve) => {
      release = resolve;
    });
    const s3 = await scriptedS3(async (seen) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Held until every chunk has arrived: they are sent at once, not one after another.
      if (s3.seen.length === 10) release();
      await allArrived;
      inFlight -= 1;
      return { status: 200, body: deleteResult(seen.body, new Set(["k0007", "k0512"])) };
    });
    try {
      const keys = Array.from({ length: 1000 }, (_, i) => `k${String(i).padStart(4, "0")}`);
      const outcome = await s3
        .store({ deletePlan: { chunkKeys: 100, parallel: 10 } })
        .deleteEntries(keys.map((key) => ({ key })));
      expect(s3.seen.length).to.equal(10);
      expect(most).to.equal(10);
      expect(new Set(s3.seen.map((s) => `${s.method} ${s.url}`))).to.deep.equal(
        new Set(["POST /files/?delete="]),
      );
      expect(outcome.deleted.map((e) => e.key)).to.deep.equal(
        keys.filter((k) => k !== "k0007" && k !== "k0512"),
      );
      expect(outcome.errors).to.deep.equal([
        { key: "k0007", code: "AccessDenied", message: "Access Denied" },
        { key: "k0512", code: "AccessDenied", message: "Access Denied" },
      ]);
    } finally {
      await s3.close();
    }
  });

  it("a chunk that fails leaves only its own keys in errors, saying whether the delete may have happened", async () => {
    const s3 = await scriptedS3((seen) =>
      seen.body.includes("<Key>b1</Key>")
        ? { status: 500, body: "<Error><Code>InternalError</Code><Message>m</Message></Error>" }
        : { status: 200, body: deleteResult(seen.body) },
    );
    try {
      const outcome = await s3
        .store({ deletePlan: { chunkKeys: 2, parallel: 2 } })
        .deleteEntries(["a1", "a2", "b1", "b2", "c1"].map((key) => ({ key, versionId: `${key}.v` })));
      expect(outcome.deleted).to.deep.equal([
        { key: "a1", versionId: "a1.v" },
        { key: "a2", versionId: "a2.v" },
        { key: "c1", versionId: "c1.v" },
      ]);
      const unconfirmed = {
        code: "ServiceUnavailable",
        message: "the storage did not confirm this delete in time; it may have happened; send the key again",
      };
      expect(outcome.errors).to.deep.equal([
        { key: "b1", versionId: "b1.v", ...unconfirmed },
        { key: "b2", versionId: "b2.v", ...unconfirmed },
      ]);
      // Versions are named to S3 by VersionId; the SDK retried the failing chunk (three attempts).
      expect(s3.seen.filter((s) => s.body.includes("<Key>b1</Key>")).length).to.equal(3);
      expect(s3.seen.find((s) => s.body.includes("<Key>a1</Key>"))?.body).to.match(
        /<Object><Key>a1<\/Key><VersionId>a1\.v<\/VersionId><\/Object><Object><Key>a2<\/Key><VersionId>a2\.v<\/VersionId><\/Object>/,
      );
    } finally {
      await s3.close();
    }
  });

  it("when every chunk is refused before the storage did anything, the refusal is the answer (503 when unreachable)", async () => {
    const s3 = await scriptedS3(() => ({ status: 200 }));
    const store = s3.store({ deletePlan: { chunkKeys: 1, parallel: 2 } });
    await s3.close();
    const error = await store.deleteEntries([{ key: "a" }, { key: "b" }]).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ServiceUnavailable);
  });
});
