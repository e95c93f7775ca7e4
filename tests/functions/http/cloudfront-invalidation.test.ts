import { expect } from "chai";
import {
  cloudFrontInvalidator,
  InvalidationFailed,
  invalidationBatchXml,
} from "../../../functions/http/cloudfront-invalidation";
import { verifyAuthorizationHeader } from "../../../local/sigv4";
import { CREDENTIALS, type FakeCloudFront, NOW, startFakeCloudFront } from "../../support/handler-harness";

const CDN = { distributionId: "E2QWRUHAPOMQZL" };
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );

describe("CreateInvalidation, signed with SigV4 and sent by the function itself", () => {
  let cloudfront: FakeCloudFront;
  beforeEach(async () => {
    cloudfront = await startFakeCloudFront(CREDENTIALS, () => NOW);
  });
  afterEach(() => cloudfront.close());

  const invalidator = (options: Parameters<typeof cloudFrontInvalidator>[2] = {}) =>
    cloudFrontInvalidator({ ...CDN, apiEndpoint: cloudfront.url }, async () => CREDENTIALS, {
      clock: () => NOW,
      ...options,
    });

  it("POSTs the InvalidationBatch to the distribution's path, signed for cloudfront in us-east-1, and reads the Id and Status", async () => {
    const paths = ["/photos/a%20b%2Bc.png*", "/x/&y*"];
    const made = await invalidator().invalidate(paths, "purge-req-1");
    expect(made).to.deep.equal({ id: "I0000000000001", status: "InProgress", paths });
    expect(cloudfront.requests).to.have.length(1);
    const [request] = cloudfront.requests;
    expect([request?.method, request?.path, request?.verified]).to.deep.equal([
      "POST",
      "/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation",
      true,
    ]);
    expect(request?.body).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">' +
        "<Paths><Quantity>2</Quantity><Items><Path>/photos/a%20b%2Bc.png*</Path><Path>/x/&amp;y*</Path></Items></Paths>" +
        "<CallerReference>purge-req-1</CallerReference></InvalidationBatch>",
    );
    expect(request?.headers["content-type"]).to.equal("application/xml");
    expect(request?.headers.authorization).to.match(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261122\/us-east-1\/cloudfront\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    // The body is signed: another body, or another service's scope, does not verify.
    const signed = {
      method: "POST",
      rawPath: request?.path ?? "",
      rawQuery: "",
      headers: request?.headers ?? {},
    };
    const secret = () => CREDENTIALS.secretAccessKey;
    const scope = { region: "us-east-1", service: "cloudfront" };
    expect(
      verifyAuthorizationHeader(signed, secret, NOW, Buffer.from(request?.body ?? ""), scope).ok,
    ).to.equal(true);
    const other = Buffer.from(invalidationBatchXml(["/*"], "purge-req-1"));
    expect(verifyAuthorizationHeader(signed, secret, NOW, other, scope).ok).to.equal(false);
    expect(
      verifyAuthorizationHeader(signed, secret, NOW, Buffer.from(request?.body ?? ""), {
        ...scope,
        service: "s3",
      }).ok,
    ).to.equal(false);
  });

  it("goes to https://cloudfront.amazonaws.com unless the config names another endpoint", async () => {
    const sent: string[] = [];
    await failure(
      cloudFrontInvalidator(CDN, async () => CREDENTIALS, {
        send: async (url) => {
          sent.push(url.href);
          throw new Error("offline");
        },
      }).invalidate(["/a*"], "r"),
    );
    expect(sent).to.deep.equal([
      "https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation",
    ]);
  });

  it("a refusal, no answer within the deadline, or no connection is InvalidationFailed, with CloudFront's code for the log", async () => {
    cloudfront.answerWith({ status: 400, code: "TooManyInvalidationsInProgress" });
    const refused = await failure(invalidator().invalidate(["/a*"], "r1"));
    expect(refused).to.be.instanceOf(InvalidationFailed);
    expect((refused as InvalidationFailed).message).to.equal(
      "CreateInvalidation answered 400 TooManyInvalidationsInProgress",
    );
    expect((refused as InvalidationFailed).detail).to.deep.equal({
      status: 400,
      code: "TooManyInvalidationsInProgress",
      message: "m",
    });
    cloudfront.answerWith("never");
    const silent = await failure(invalidator({ timeoutMs: 1 }).invalidate(["/a*"], "r2"));
    expect((silent as InvalidationFailed).message).to.equal("CloudFront's API could not be reached");
    await cloudfront.close();
    const closed = await failure(invalidator().invalidate(["/a*"], "r3"));
    expect((closed as InvalidationFailed).message).to.equal("CloudFront's API could not be reached");
  });
});
