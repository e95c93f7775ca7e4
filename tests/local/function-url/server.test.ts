import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { promisify } from "node:util";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import type { FunctionUrlEvent } from "../../../functions/http/function-url";
import {
  MAX_PAYLOAD_BYTES,
  payloadBytes,
  type RunningFunctionUrl,
  startFunctionUrl,
} from "../../../local/function-url/server";

const CALLER = {
  accessKeyId: "LOCALIAMCALLER",
  secretAccessKey: "c2VjcmV0LWZvci10aGUtbG9jYWwtY2FsbGVy",
  userArn: "arn:aws:iam::000000000000:user/local-caller",
};
const FORBIDDEN = { Message: "Forbidden" };

describe("local function URL, auth type AWS_IAM", () => {
  let api: RunningFunctionUrl;
  const events: FunctionUrlEvent[] = [];
  before(async () => {
    api = await startFunctionUrl({
      handler: async (event) => {
        events.push(event);
        return { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' };
      },
      iamCallers: [CALLER],
      region: "eu-west-1",
    });
  });
  after(() => api.close());
  beforeEach(() => {
    events.length = 0;
  });

  async function signed(
    options: { service?: string; region?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Record<string, string>> {
    const url = new URL(`${api.url}/photos/cat.png?uploads`);
    const signer = new SignatureV4({
      service: options.service ?? "lambda",
      region: options.region ?? "eu-west-1",
      credentials: CALLER,
      sha256: Hash.bind(null, "sha256"),
    });
    const request = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: { uploads: "" },
      headers: { host: url.host, "content-type": "text/plain", ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    return request.headers as Record<string, string>;
  }
  const send = async (headers: Record<string, string>, body: string) => {
    const response = await fetch(`${api.url}/photos/cat.png?uploads`, { method: "POST", headers, body });
    return { status: response.status, body: await response.json() };
  };

  it("passes a request signed for lambda in the function's region, with the caller in the event", async () => {
    expect(await send(await signed({ body: "hello" }), "hello")).to.deep.equal({
      status: 200,
      body: { ok: true },
    });
    expect(events).to.have.length(1);
    expect(events[0]?.requestContext.authorizer?.iam?.userArn).to.equal(CALLER.userArn);
  });

  it("refuses a credential scoped to another service, as AWS's SigV4 services word it", async () => {
    for (const service of ["s3", "execute-api", "lambdax"]) {
      expect(await send(await signed({ service, body: "hello" }), "hello")).to.deep.equal({
        status: 403,
        body: { Message: "Credential should be scoped to correct service: 'lambda'. " },
      });
    }
    expect(events).to.have.length(0);
  });

  it("refuses a credential scoped to another region", async () => {
    for (const region of ["us-east-1", "eu-west-2"]) {
      expect(await send(await signed({ region, body: "hello" }), "hello")).to.deep.equal({
        status: 403,
        body: { Message: "Credential should be scoped to a valid region. " },
      });
    }
    expect(events).to.have.length(0);
  });

  it("refuses UNSIGNED-PAYLOAD, so a signed request's body cannot be swapped", async () => {
    const headers = await signed({ body: "hello", headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    expect(await send(headers, "hello")).to.deep.equal({ status: 403, body: FORBIDDEN });
    expect(await send(headers, "swapped")).to.deep.equal({ status: 403, body: FORBIDDEN });
    expect(events).to.have.length(0);
  });

  it("refuses a body other than the one signed, with or without x-amz-content-sha256", async () => {
    const hash = createHash("sha256").update("hello").digest("hex");
    const withHash = await signed({ body: "hello", headers: { "x-amz-content-sha256": hash } });
    expect((await send(withHash, "hello")).status).to.equal(200);
    expect(await send(withHash, "hellO")).to.deep.equal({ status: 403, body: FORBIDDEN });
    expect(await send(await signed({ body: "hello" }), "hellO")).to.deep.equal({
      status: 403,
      body: FORBIDDEN,
    });
    expect(events).to.have.length(1);
  });

  it("refuses unsigned requests and unknown keys with a bare Forbidden", async () => {
    expect(await send({ "content-type": "text/plain" }, "hello")).to.deep.equal({
      status: 403,
      body: FORBIDDEN,
    });
    const other = new SignatureV4({
      service: "lambda",
      region: "eu-west-1",
      credentials: { accessKeyId: "SOMEONEELSE", secretAccessKey: CALLER.secretAccessKey },
      sha256: Hash.bind(null, "sha256"),
    });
    const url = new URL(api.url);
    const request = await other.sign({
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/photos/cat.png",
      query: { uploads: "" },
      headers: { host: url.host },
      body: "hello",
    });
    expect(await send(request.headers as Record<string, string>, "hello")).to.deep.equal({
      status: 403,
      body: FORBIDDEN,
    });
  });

  // The banner's form. curl 7.88 signs a bare `?uploads` differently from SigV4's canonical query
  // (`uploads=`), so the example sticks to a path and headers.
  it("accepts curl --aws-sigv4 aws:amz:REGION:lambda, as the start banner shows it", async () => {
    const { stdout } = await promisify(execFile)("curl", [
      "-sS",
      "--aws-sigv4",
      "aws:amz:eu-west-1:lambda",
      "--user",
      `${CALLER.accessKeyId}:${CALLER.secretAccessKey}`,
      "-X",
      "PUT",
      "-H",
      "Accept: application/json",
      "-w",
      " %{http_code}",
      `${api.url}/photos/cat.png`,
    ]);
    expect(stdout).to.equal('{"ok":true} 200');
    expect(events[0]?.requestContext.authorizer?.iam?.userArn).to.equal(CALLER.userArn);
  });
});

describe("local function URL: the 6 MB invocation payload limit counts the event, body base64-encoded", () => {
  let api: RunningFunctionUrl;
  const payloads: number[] = [];
  before(async () => {
    api = await startFunctionUrl({
      handler: async (event) => {
        payloads.push(payloadBytes(event));
        return { statusCode: 200, headers: { "content-type": "text/plain" }, body: "ok" };
      },
    });
  });
  after(() => api.close());
  beforeEach(() => {
    payloads.length = 0;
  });

  /** A binary PUT of `size` bytes with the same headers every time, answered as sent back. */
  function put(size: number): Promise<{ status: number; body: string }> {
    const { hostname, port } = new URL(api.url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          method: "PUT",
          path: "/videos/clip.bin",
          headers: { "content-type": "application/octet-stream", "content-length": size },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on("error", reject);
      req.end(Buffer.alloc(size, 1));
    });
  }
  const TOO_LARGE = {
    status: 413,
    body: '{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}',
  };

  it("about 4.5 MB of file fit: 4,500,000 bytes reach the function, 5,000,000 are refused with 413", async () => {
    expect(await put(4_500_000)).to.deep.equal({ status: 200, body: "ok" });
    expect(await put(5_000_000)).to.deep.equal(TOO_LARGE);
    expect(payloads).to.have.length(1);
  });

  it("both sides of the limit: the largest body whose event stays under 6291456 bytes passes, one byte more is refused", async () => {
    // The event around a 4,000,002-byte body (base64: 5,333,336 characters), then the largest body
    // with as many digits in its Content-Length whose event stays under the limit.
    expect((await put(4_000_002)).status).to.equal(200);
    const envelope = (payloads[0] ?? 0) - 5_333_336;
    const largest = 3 * Math.floor((MAX_PAYLOAD_BYTES - 1 - envelope) / 4);
    expect(await put(largest)).to.deep.equal({ status: 200, body: "ok" });
    const passed = payloads[1] ?? 0;
    expect(passed).to.be.within(MAX_PAYLOAD_BYTES - 4, MAX_PAYLOAD_BYTES - 1);
    expect(await put(largest + 1)).to.deep.equal(TOO_LARGE);
    expect(payloads).to.have.length(2);
  });
});
