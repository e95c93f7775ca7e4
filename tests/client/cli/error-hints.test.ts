import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ApiError } from "../../../client/api";
import { apiHint, hintFor } from "../../../client/cli/error-hints";
import { PermanentError, statusError } from "../../../client/retry";
import { sfs } from "../../support/sfs-cli";
import { closedPort, type FakeServer, fakeServer, sendJson } from "../fake-server";

const xml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`;

describe("a likely cause after each error", function () {
  this.timeout(180_000);
  let dir: string;
  let transfer: FakeServer;
  let api: FakeServer;
  /** What the fake S3 and CloudFront answer next: a status and an error code. */
  let refusal: [number, string] = [403, "AccessDenied"];
  /** Where instructions for keys under `gone/` point: a port nothing listens on. */
  let closed: number;
  before(async () => {
    closed = await closedPort();
    dir = mkdtempSync(join(tmpdir(), "sfs-hints-"));
    writeFileSync(join(dir, "f.txt"), "bytes");
    transfer = await fakeServer((_req, res) => res.writeHead(refusal[0]).end(xml(refusal[1])));
    api = await fakeServer((req, res) => {
      if (req.target.startsWith("/down/")) {
        return sendJson(res, 503, {
          error: { code: "ServiceUnavailable", message: "storage is unavailable" },
        });
      }
      sendJson(res, 200, {
        method: req.method,
        url: `${req.target.startsWith("/gone/") ? `http://127.0.0.1:${closed}` : transfer.url}${req.target}`,
        headers: {},
        expiresAt: "",
      });
    });
  });
  after(async () => {
    await transfer.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[]) => sfs([...args, "--api-url", api.url, "--retries", "2", "--no-progress"]);

  it("S3 refusing an upload: SignatureDoesNotMatch", async () => {
    refusal = [403, "SignatureDoesNotMatch"];
    const result = await run(["put", join(dir, "f.txt"), "k/f.txt"]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      "sfstore: 403 SignatureDoesNotMatch from storage\n" +
        "sfstore: likely cause: the request differs from what was signed: a proxy or a changed header (Content-Type, Content-Disposition, x-amz-meta-*) altered it\n",
    );
  });

  it("storage that cannot be reached: the failure says so, and why that may be", async () => {
    const refused = `connect ECONNREFUSED 127.0.0.1:${closed} from storage`;
    const cause =
      "sfstore: likely cause: nothing listens at the address the API signed the URL for: the storage (the local stack's, or its --s3-endpoint) is down, or the API is configured with an endpoint this machine cannot reach\n";
    const put = await run(["put", join(dir, "f.txt"), "gone/f.txt"]);
    expect([put.code, put.stderr]).to.deep.equal([
      1,
      `sfstore: ${refused}; trying again (2 of 2)\nsfstore: ${refused}\n${cause}`,
    ]);
    const rm = await run(["rm", "gone/f.txt"]);
    expect(rm.stderr).to.equal(`sfstore: ${refused}; trying again (2 of 2)\nsfstore: ${refused}\n${cause}`);
    const get = await run(["get", "gone/f.txt", join(dir, "gone.txt")]);
    expect(get.stderr.split("\n").slice(-3)).to.deep.equal([
      `sfstore: connect ECONNREFUSED 127.0.0.1:${closed} from the CDN`,
      cause.slice(0, -1),
      "",
    ]);
  });

  it("S3 refusing a delete: ExpiredToken", async () => {
    refusal = [400, "ExpiredToken"];
    const result = await run(["rm", "k/f.txt"]);
    expect(result.stderr).to.equal(
      "sfstore: 400 ExpiredToken from storage\n" +
        "sfstore: likely cause: the temporary credentials that signed the URL expired before it was used; run the command again for a freshly signed URL\n",
    );
  });

  it("CloudFront refusing a download: AccessDenied (an expired or altered URL)", async () => {
    refusal = [403, "AccessDenied"];
    const result = await run(["get", "k/f.txt", join(dir, "back.txt")]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      "sfstore: 403 AccessDenied from the CDN\n" +
        "sfstore: likely cause: CloudFront refused the signed URL: it has expired (a share link lasts its --expires), was cut short or altered when copied, or the deployment's signing key changed; ask for a new one\n",
    );
  });

  it("S3 overloaded through every retry: SlowDown", async () => {
    refusal = [503, "SlowDown"];
    const result = await run(["rm", "k/f.txt"]);
    expect(result.stderr).to.equal(
      "sfstore: 503: SlowDown from storage; trying again (2 of 2)\n" +
        "sfstore: 503: SlowDown from storage\n" +
        "sfstore: likely cause: S3 asked to slow down through every retry: run the command again later (an upload resumes)\n",
    );
  });

  it("the API's own 503 through every retry keeps its code and its message, for stat too", async () => {
    const cause =
      "sfstore: likely cause: a service the API depends on (S3, the token issuer's keys) is down; run the command again in a few minutes\n";
    const result = await run(["share", "down/k"]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      "sfstore: 503 ServiceUnavailable: storage is unavailable; trying again (2 of 2)\n" +
        `sfstore: 503 ServiceUnavailable: storage is unavailable\n${cause}`,
    );
    expect(api.requests.filter((r) => r.target === "/down/k")).to.have.length(2);
    // stat reads the API's JSON answer, not a HEAD (whose answer has no body to say why).
    const stat = await run(["stat", "down/k"]);
    expect(stat.stderr).to.equal(
      "sfstore: 503 ServiceUnavailable: storage is unavailable; trying again (2 of 2)\n" +
        `sfstore: 503 ServiceUnavailable: storage is unavailable\n${cause}`,
    );
  });

  it("has a cause for each common S3, CloudFront and API error, and none for the unknown", () => {
    const storage = (status: number, code: string) => statusError(status, `${code} from storage`, code);
    const cdn = (status: number, code: string) => statusError(status, `${code} from the CDN`, code);
    for (const code of [
      "AccessDenied",
      "ExpiredToken",
      "SignatureDoesNotMatch",
      "InvalidAccessKeyId",
      "RequestTimeTooSkewed",
      "NoSuchKey",
      "NoSuchBucket",
      "EntityTooLarge",
      "EntityTooSmall",
      "PreconditionFailed",
      "RequestTimeout",
      "IncompleteBody",
      "BadDigest",
    ]) {
      expect(hintFor(storage(400, code)), code).to.be.a("string");
      expect(hintFor(cdn(400, code)), code).to.be.a("string");
    }
    expect(hintFor(cdn(403, "MissingKey"))).to.equal(
      "the URL lacks CloudFront's Key-Pair-Id: it was cut short when copied",
    );
    expect(hintFor(storage(403, "RequestTimeTooSkewed"))).to.equal(
      "the clock that signed the request is more than 15 minutes off S3's: sync this machine's clock (NTP) when it signs",
    );
    for (const code of [
      "Unauthorized",
      "Forbidden",
      "InvalidKey",
      "InvalidExpires",
      "NoSuchKey",
      "NoSuchUpload",
      "PayloadTooLarge",
      "UnsupportedMediaType",
      "PreconditionFailed",
      "NoSuchVersion",
      "InvalidVersionId",
      "InvalidLimit",
      "InvalidToken",
      "InvalidCopySource",
      "InvalidCopy",
      "InvalidMove",
      "InvalidBody",
      "InvalidQuery",
    ]) {
      expect(hintFor(new ApiError(400, code, "m")), code).to.be.a("string");
      expect(apiHint(code), code).to.equal(hintFor(new ApiError(400, code, "m")));
    }
    expect(hintFor(new ApiError(404, "NoSuchVersion", "m"))).to.equal(
      "no version with that ID is stored for this key (a version ID belongs to one key): sfstore versions KEY lists them",
    );
    // A batch delete's per-key codes are looked up by name: nothing inherited from Object counts.
    expect(apiHint("constructor")).to.equal(undefined);
    expect(apiHint("SomethingNew")).to.equal(undefined);
    expect(hintFor(new ApiError(403, "HttpError", "Forbidden"))).to.equal(
      "the function URL refused the request before the function ran: with auth iam, sign with --iam and credentials allowed lambda:InvokeFunctionUrl and lambda:InvokeFunction",
    );
    expect(hintFor(new ApiError(400, "SomethingNew", "m"))).to.equal(undefined);
    expect(hintFor(new PermanentError("no code"))).to.equal(undefined);
    expect(hintFor("not an error")).to.equal(undefined);
  });
});
