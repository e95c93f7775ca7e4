import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { SigV4Signer } from "../../../functions/signers/sigv4";
import { type EdgeFixture, NOW, startEdgeFixture } from "./fixture";

const DISTRIBUTION = "ELOCALTEST0001";
const FUNCTION_ROLE = { accessKeyId: "LOCALFUNCTIONROLE", secretAccessKey: "function-role-secret" };
const XMLNS = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

const batch = (paths: string[], callerReference: string, quantity = paths.length) =>
  `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="${XMLNS}"><Paths><Quantity>${quantity}</Quantity><Items>${paths
    .map((p) => `<Path>${p}</Path>`)
    .join("")}</Items></Paths><CallerReference>${callerReference}</CallerReference></InvalidationBatch>`;

const invalidationXml = (id: string, status: string, paths: string[], callerReference: string) =>
  `<?xml version="1.0"?>\n<Invalidation xmlns="${XMLNS}"><Id>${id}</Id><Status>${status}</Status><CreateTime>${NOW.toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>${paths
    .map((p) => `<Path>${p}</Path>`)
    .join(
      "",
    )}</Items></Paths><CallerReference>${callerReference}</CallerReference></InvalidationBatch></Invalidation>`;

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>REQUEST-ID</RequestId></ErrorResponse>`;

interface Call {
  readonly method?: string;
  readonly path: string;
  readonly body?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly service?: string;
  readonly region?: string;
  readonly unsigned?: boolean;
  /** When the request says it was signed; the API's clock is NOW. */
  readonly signedAt?: Date;
  /** Replaces the Authorization header after signing. */
  readonly authorization?: string;
}

describe("local CloudFront API: invalidations drop the edge's matching entries", () => {
  let fixture: EdgeFixture;
  let api: string;
  beforeEach(async () => {
    fixture = await startEdgeFixture({
      cloudFrontApi: { distributionId: DISTRIBUTION, callers: [FUNCTION_ROLE], port: 0 },
    });
    api = fixture.edge.apiUrl ?? "";
    for (const [key, version] of [
      ["docs/a.txt", "V1"],
      ["docs/a.txt", "V2"],
      ["docs/a.txt.bak", "V1"],
      ["docs/b.txt", "V1"],
    ] as const) {
      fixture.origin.put(key, { versionId: version, body: Buffer.from(`${key} ${version}`) });
    }
  });
  afterEach(() => fixture.close());

  /** Signed as an AWS SDK signs CloudFront calls, dated at the fixture's clock. */
  async function call(options: Call) {
    const url = new URL(`${api}${options.path}`);
    const method = options.method ?? "POST";
    let headers: Record<string, string> = { host: url.host, "content-type": "application/xml" };
    if (!options.unsigned) {
      const signer = new SignatureV4({
        service: options.service ?? "cloudfront",
        region: options.region ?? "us-east-1",
        credentials: options.credentials ?? FUNCTION_ROLE,
        sha256: Hash.bind(null, "sha256"),
      });
      const signed = await signer.sign(
        {
          method,
          protocol: "http:",
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          headers,
          ...(options.body === undefined ? {} : { body: options.body }),
        },
        { signingDate: options.signedAt ?? NOW },
      );
      headers = signed.headers as Record<string, string>;
      if (options.authorization !== undefined) headers.authorization = options.authorization;
    }
    const res = await fetch(url, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await res.text();
    return {
      status: res.status,
      location: res.headers.get("location"),
      body: text.replace(/<RequestId>[^<]*<\/RequestId>/, "<RequestId>REQUEST-ID</RequestId>"),
    };
  }
  const createPath = `/2020-05-31/distribution/${DISTRIBUTION}/invalidation`;
  const read = async (pathAndQuery: string) =>
    (await fetch(fixture.sign(pathAndQuery))).headers.get("x-cache");
  const cacheAll = async () => {
    for (const p of [
      "/docs/a.txt?versionId=V1",
      "/docs/a.txt?versionId=V2",
      "/docs/a.txt.bak?versionId=V1",
      "/docs/b.txt?versionId=V1",
      "/docs/b.txt",
    ])
      expect(await read(p)).to.equal("Miss from cloudfront");
    expect(fixture.edge.cacheStats().entries).to.equal(5);
  };

  it("CreateInvalidation: 201 with the Invalidation and its Location; a trailing * is a prefix, a path without one exact", async () => {
    await cacheAll();
    const paths = ["/docs/a.txt*", "/docs/b.txt"];
    const created = await call({ path: createPath, body: batch(paths, "purge-1") });
    const id = /<Id>(I[A-Z0-9]{13})<\/Id>/.exec(created.body)?.[1] ?? "";
    expect(created).to.deep.equal({
      status: 201,
      location: `${api}${createPath}/${id}`,
      body: invalidationXml(id, "InProgress", paths, "purge-1"),
    });
    // Four of five entries went: both versions of a.txt, a.txt.bak (the prefix), and the bare b.txt.
    expect(fixture.edge.cacheStats().entries).to.equal(1);
    expect(await read("/docs/b.txt?versionId=V1")).to.equal("Hit from cloudfront");
    expect(await read("/docs/a.txt?versionId=V1")).to.equal("Miss from cloudfront");
    expect(await read("/docs/a.txt.bak?versionId=V1")).to.equal("Miss from cloudfront");
    expect(await read("/docs/b.txt")).to.equal("Miss from cloudfront");

    expect(await call({ method: "GET", path: `${createPath}/${id}` })).to.deep.equal({
      status: 200,
      location: null,
      body: invalidationXml(id, "Completed", paths, "purge-1"),
    });
    expect(await call({ method: "GET", path: `${createPath}/INOSUCHINVALID` })).to.deep.equal({
      status: 404,
      location: null,
      body: errorXml("NoSuchInvalidation", "The specified invalidation does not exist."),
    });
  });

  it("the same CallerReference again answers the same invalidation; with other paths it is refused", async () => {
    const first = await call({ path: createPath, body: batch(["/x*"], "ref-1") });
    const again = await call({ path: createPath, body: batch(["/x*"], "ref-1") });
    expect([again.status, again.body]).to.deep.equal([201, first.body]);
    expect(await call({ path: createPath, body: batch(["/y*"], "ref-1") })).to.deep.equal({
      status: 409,
      location: null,
      body: errorXml("InvalidationBatchAlreadyExists", "The specified invalidation batch already exists."),
    });
  });

  it("the function's own SigV4 signer is accepted", async () => {
    await cacheAll();
    const url = new URL(`${api}${createPath}`);
    const body = batch(["/docs/*"], "function-call");
    const headers = new SigV4Signer().signHeaders(
      { method: "POST", path: url.pathname, headers: { host: url.host, "content-type": "application/xml" } },
      body,
      { region: "us-east-1", service: "cloudfront", credentials: FUNCTION_ROLE, now: NOW },
    );
    const res = await fetch(url, { method: "POST", headers, body });
    expect(res.status).to.equal(201);
    expect(fixture.edge.cacheStats().entries).to.equal(0);
  });

  it("an object in flight when its path is invalidated is served but not cached", async () => {
    let open: () => void = () => undefined;
    const until = new Promise<void>((resolve) => {
      open = resolve;
    });
    fixture.origin.put("docs/held.bin", {
      versionId: "V1",
      body: Buffer.alloc(100_000, 1),
      hold: { half: 10, until },
    });
    const pending = fetch(fixture.sign("/docs/held.bin?versionId=V1"));
    const answer = await pending;
    expect((await call({ path: createPath, body: batch(["/docs/held.bin*"], "in-flight") })).status).to.equal(
      201,
    );
    open();
    expect((await answer.arrayBuffer()).byteLength).to.equal(100_000);
    expect(fixture.edge.cacheStats().entries).to.equal(0);
    expect(await read("/docs/held.bin?versionId=V1")).to.equal("Miss from cloudfront");
  });

  describe("refusals, as CloudFront answers them, with nothing dropped", () => {
    beforeEach(cacheAll);
    afterEach(() => expect(fixture.edge.cacheStats().entries).to.equal(5));
    const body = batch(["/docs/*"], "refused");
    const mismatch =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    const cases: [string, Call, number, string][] = [
      [
        "another distribution",
        { path: "/2020-05-31/distribution/EOTHER/invalidation", body },
        404,
        errorXml("NoSuchDistribution", "The specified distribution does not exist."),
      ],
      [
        "a wrong secret",
        { path: createPath, body, credentials: { ...FUNCTION_ROLE, secretAccessKey: "guessed" } },
        403,
        errorXml("SignatureDoesNotMatch", mismatch),
      ],
      [
        "an unknown access key",
        { path: createPath, body, credentials: { accessKeyId: "AKIDSTRANGER", secretAccessKey: "x" } },
        403,
        errorXml("InvalidClientTokenId", "The security token included in the request is invalid."),
      ],
      [
        "a request signed for S3",
        { path: createPath, body, service: "s3" },
        403,
        errorXml(
          "SignatureDoesNotMatch",
          "Credential should be scoped to correct service: &apos;cloudfront&apos;.",
        ),
      ],
      [
        "a request signed for another region",
        { path: createPath, body, region: "eu-west-1" },
        403,
        errorXml("SignatureDoesNotMatch", "Credential should be scoped to a valid region."),
      ],
      [
        "a request signed 20 minutes ago",
        { path: createPath, body, signedAt: new Date(NOW.getTime() - 20 * 60_000) },
        400,
        errorXml(
          "RequestExpired",
          "The difference between the request time and the current time is too large.",
        ),
      ],
      [
        "an Authorization header without its Signature",
        {
          path: createPath,
          body,
          authorization:
            "AWS4-HMAC-SHA256 Credential=LOCALFUNCTIONROLE/20261123/us-east-1/cloudfront/aws4_request",
        },
        400,
        errorXml(
          "IncompleteSignature",
          "The authorization header is malformed, or x-amz-date or x-amz-content-sha256 is missing.",
        ),
      ],
      [
        "an unsigned request",
        { path: createPath, body, unsigned: true },
        403,
        errorXml("MissingAuthenticationToken", "Missing Authentication Token"),
      ],
      [
        "a Quantity that is not the number of paths",
        { path: createPath, body: batch(["/docs/*"], "q", 2) },
        400,
        errorXml("InconsistentQuantities", "The value of Quantity and the size of Items don&apos;t match."),
      ],
      [
        "a path without its leading slash",
        { path: createPath, body: batch(["docs/*"], "s") },
        400,
        errorXml("InvalidArgument", "Your request contains one or more invalid invalidation paths."),
      ],
      [
        "a * that is not last",
        { path: createPath, body: batch(["/docs/*.txt"], "w") },
        400,
        errorXml("InvalidArgument", "Your request contains one or more invalid invalidation paths."),
      ],
    ];
    it("a body other than the one signed: 403 SignatureDoesNotMatch", async () => {
      const url = new URL(`${api}${createPath}`);
      const signer = new SignatureV4({
        service: "cloudfront",
        region: "us-east-1",
        credentials: FUNCTION_ROLE,
        sha256: Hash.bind(null, "sha256"),
      });
      const signed = await signer.sign(
        {
          method: "POST",
          protocol: "http:",
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          headers: { host: url.host },
          body: batch(["/nothing"], "n"),
        },
        { signingDate: NOW },
      );
      const res = await fetch(url, {
        method: "POST",
        headers: signed.headers as Record<string, string>,
        body,
      });
      const text = (await res.text()).replace(
        /<RequestId>[^<]*<\/RequestId>/,
        "<RequestId>REQUEST-ID</RequestId>",
      );
      expect([res.status, text]).to.deep.equal([403, errorXml("SignatureDoesNotMatch", mismatch)]);
    });
    for (const [name, options, status, expected] of cases) {
      it(`${name}: ${status} ${/<Code>(\w+)/.exec(expected)?.[1]}`, async () => {
        const answer = await call(options);
        expect([answer.status, answer.body]).to.deep.equal([status, expected]);
      });
    }
  });
});
