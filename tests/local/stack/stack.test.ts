import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { expect } from "chai";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const encodePath = (key: string) => key.split("/").map(encodeURIComponent).join("/");
const quiet = () => {};

interface Instruction {
  method: string;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

async function instruction(
  stack: LocalStack,
  method: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<Instruction> {
  const res = await fetch(`${stack.apiUrl}/${encodePath(key)}`, {
    method,
    headers: { accept: "application/json", ...headers },
  });
  expect(res.status).to.equal(200);
  return (await res.json()) as Instruction;
}

async function upload(stack: LocalStack, key: string, body: Buffer): Promise<Response> {
  const step = await instruction(stack, "PUT", key);
  return fetch(step.url, { method: "PUT", headers: step.headers, body });
}

async function download(stack: LocalStack, key: string): Promise<Response> {
  const step = await instruction(stack, "GET", key);
  return fetch(step.url);
}

describe("local stack, end to end", function () {
  this.timeout(120_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-local-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: quiet });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the real curl uploads with -L -T and downloads with -L, byte for byte", async () => {
    const file = join(dataDir, "cat.bin");
    const back = join(dataDir, "back.bin");
    const bytes = randomBytes(1024 * 1024 + 17);
    writeFileSync(file, bytes);
    const put = await run("curl", [
      "-sS",
      "--fail",
      "-L",
      "-T",
      file,
      `${stack.apiUrl}/photos/cat.png`,
      "-w",
      "%{http_code}",
    ]);
    expect(put.stdout).to.equal("200");
    const get = await run("curl", [
      "-sS",
      "--fail",
      "-L",
      "-o",
      back,
      `${stack.apiUrl}/photos/cat.png`,
      "-w",
      "%{http_code}",
    ]);
    expect(get.stdout).to.equal("200");
    const { stdout } = await run("sha256sum", [file, back]);
    const [a, b] = stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" ")[0]);
    expect(a).to.equal(sha256(bytes));
    expect(b).to.equal(a);
  });

  it("a 64 MB file goes up and comes back through the two-step JSON mode", async () => {
    const size = 64 * 1024 * 1024;
    const file = join(dataDir, "big.bin");
    const chunk = randomBytes(1024 * 1024);
    const hash = createHash("sha256");
    const parts: Buffer[] = [];
    for (let i = 0; i < 64; i++) {
      const part = Buffer.from(chunk.map((b) => b ^ i));
      parts.push(part);
      hash.update(part);
    }
    writeFileSync(file, Buffer.concat(parts));
    const expected = hash.digest("hex");
    const step = await instruction(stack, "PUT", "videos/big.bin");
    const put = await fetch(step.url, {
      method: "PUT",
      headers: { ...step.headers, "content-length": String(size) },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    expect(put.status).to.equal(200);
    const get = await download(stack, "videos/big.bin");
    expect(get.status).to.equal(200);
    expect(get.headers.get("content-length")).to.equal(String(size));
    const got = createHash("sha256");
    for await (const piece of get.body as unknown as AsyncIterable<Uint8Array>) got.update(piece);
    expect(got.digest("hex")).to.equal(expected);
  });

  it("the function's request line keeps its metrics as an object through the stack's JSON log", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logDir = mkdtempSync(join(tmpdir(), "sfs-local-log-"));
    // As the stack writes its log by default: each line through JSON.stringify.
    const logged = await startLocalStack({
      dataDir: logDir,
      apiPort: 0,
      log: (fields) => lines.push(JSON.parse(JSON.stringify(fields)) as Record<string, unknown>),
    });
    try {
      expect((await instruction(logged, "PUT", "metrics/a.txt")).method).to.equal("PUT");
      const request = lines.find((l) => l.component === "function" && l.message === "request");
      const emf = request?._aws as { Timestamp?: unknown; CloudWatchMetrics?: Array<{ Namespace?: string }> };
      expect(typeof emf.Timestamp).to.equal("number");
      expect(emf.CloudWatchMetrics?.map((m) => m.Namespace)).to.deep.equal(["SignedFileStore"]);
      expect([request?.Operation, request?.Status, request?.Requests]).to.deep.equal(["put", "200", 1]);
    } finally {
      await logged.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it("a body over 6 MB sent to the function URL is refused with 413", async () => {
    const res = await fetch(`${stack.apiUrl}/too/big.bin`, {
      method: "PUT",
      body: Buffer.alloc(6 * 1024 * 1024 + 1),
      redirect: "manual",
    });
    expect(res.status).to.equal(413);
    expect(await res.json()).to.deep.equal({
      Message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    });
  });

  for (const key of [
    "with space/a b.txt",
    "plus+/1+1=2",
    "percent%/50%25",
    "hash#/#1",
    "question?/why?",
    "unicode/Zürich/日本語.png",
    "star*/(a)!'",
  ]) {
    it(`the key ${JSON.stringify(key)} round-trips`, async () => {
      const body = randomBytes(1000);
      expect((await upload(stack, key, body)).status).to.equal(200);
      const res = await download(stack, key);
      expect(res.status).to.equal(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).to.equal(sha256(body));
    });
  }

  describe("the edge refuses bad signed URLs with 403, as CloudFront words each fault", () => {
    let good: string;
    before(async () => {
      await upload(stack, "secure/doc.txt", Buffer.from("top secret"));
      await upload(stack, "secure/other.txt", Buffer.from("other"));
      good = (await instruction(stack, "GET", "secure/doc.txt")).url;
    });
    const refused = async (url: string, code: string, message: string) => {
      const res = await fetch(url);
      expect([res.status, res.headers.get("x-cache"), await res.text()]).to.deep.equal([
        403,
        "Error from cloudfront",
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
      ]);
    };
    const denied = (url: string) => refused(url, "AccessDenied", "Access denied");
    it("tampered signature", () =>
      denied(good.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === "A" ? "B" : "A"}`)));
    it("unknown key pair id: InvalidKey", () =>
      refused(good.replace(/Key-Pair-Id=[^&]+/, "Key-Pair-Id=KUNKNOWN"), "InvalidKey", "Unknown Key"));
    it("swapped path", () => denied(good.replace("/secure/doc.txt", "/secure/other.txt")));
    it("changed expiry", () =>
      denied(good.replace(/Expires=(\d+)/, (_m, e: string) => `Expires=${Number(e) + 1000}`)));
    it("no signature at all: MissingKey", () =>
      refused(good.split("?")[0] ?? "", "MissingKey", "Missing Key-Pair-Id query parameter or cookie value"));
    it("a URL cut short before its Key-Pair-Id: MissingKey", () =>
      refused(
        good.slice(0, good.indexOf("&Key-Pair-Id=")),
        "MissingKey",
        "Missing Key-Pair-Id query parameter or cookie value",
      ));
  });

  it("a default lifetime over maxReadExpirySeconds is refused before anything starts, as the function's config is", async () => {
    const refusedDir = mkdtempSync(join(tmpdir(), "sfs-expiry-"));
    try {
      const started = await startLocalStack({
        dataDir: refusedDir,
        apiPort: 0,
        expirySeconds: 7200,
        maxReadExpirySeconds: 3600,
        log: quiet,
      }).then(
        async (stack) => {
          await stack.stop();
          return "started";
        },
        (error: Error) => error.message,
      );
      expect(started).to.equal("[expirySeconds] must not exceed maxReadExpirySeconds (3600), got 7200");
      expect(readdirSync(refusedDir)).to.deep.equal([]);
    } finally {
      rmSync(refusedDir, { recursive: true, force: true });
    }
  });

  it("an expired signed URL is refused at the edge", async () => {
    const shortDir = mkdtempSync(join(tmpdir(), "sfs-short-"));
    const short = await startLocalStack({ dataDir: shortDir, apiPort: 0, expirySeconds: 1, log: quiet });
    try {
      expect((await upload(short, "a.txt", Buffer.from("a"))).status).to.equal(200);
      const url = (await instruction(short, "GET", "a.txt")).url;
      const expires = Number(/Expires=(\d+)/.exec(url)?.[1]);
      await new Promise((r) => setTimeout(r, expires * 1000 - Date.now() + 50));
      expect((await fetch(url)).status).to.equal(403);
    } finally {
      await short.stop();
      rmSync(shortDir, { recursive: true, force: true });
    }
  });

  it("a tampered presigned PUT is refused by storage and stores nothing", async () => {
    const step = await instruction(stack, "PUT", "tamper/x.bin");
    const tampered = step.url.replace("tamper/x.bin", "tamper/y.bin");
    const res = await fetch(tampered, { method: "PUT", body: "evil" });
    expect(res.status).to.equal(403);
    expect(await res.text()).to.include("<Code>SignatureDoesNotMatch</Code>");
    const read = await fetch(`${stack.apiUrl}/tamper/y.bin`, { headers: { accept: "application/json" } });
    expect(read.status).to.equal(404);
  });

  it("create-only uploads get S3's 412 when the key exists", async () => {
    const first = await instruction(stack, "PUT", "once/only.txt", { "if-none-match": "*" });
    expect(first.headers).to.deep.equal({ "If-None-Match": "*" });
    expect((await fetch(first.url, { method: "PUT", headers: first.headers, body: "1" })).status).to.equal(
      200,
    );
    const second = await instruction(stack, "PUT", "once/only.txt", { "if-none-match": "*" });
    const res = await fetch(second.url, { method: "PUT", headers: second.headers, body: "2" });
    expect(res.status).to.equal(412);
    expect(await (await download(stack, "once/only.txt")).text()).to.equal("1");
  });

  it("the second GET of an object is an edge cache hit; HEAD and Range are served", async () => {
    await upload(stack, "cache/me.txt", Buffer.from("0123456789"));
    const first = await download(stack, "cache/me.txt");
    expect(first.headers.get("x-cache")).to.equal("Miss from cloudfront");
    await first.arrayBuffer();
    const second = await download(stack, "cache/me.txt");
    expect(second.headers.get("x-cache")).to.equal("Hit from cloudfront");
    expect(await second.text()).to.equal("0123456789");
    const url = (await instruction(stack, "GET", "cache/me.txt")).url;
    const head = await fetch(url, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).to.deep.equal([200, "10"]);
    const range = await fetch(url, { headers: { range: "bytes=2-4" } });
    expect([range.status, range.headers.get("content-range"), await range.text()]).to.deep.equal([
      206,
      "bytes 2-4/10",
      "234",
    ]);
  });

  it("DELETE then GET is 404 NoSuchKey from the function, though the edge still holds the old version", async () => {
    await upload(stack, "gone/soon.txt", Buffer.from("bye"));
    const before = await download(stack, "gone/soon.txt");
    expect(await before.text()).to.equal("bye");
    const del = await instruction(stack, "DELETE", "gone/soon.txt");
    expect((await fetch(del.url, { method: "DELETE" })).status).to.equal(204);
    const res = await fetch(`${stack.apiUrl}/gone/soon.txt`, { redirect: "manual" });
    expect(res.status).to.equal(404);
    expect(res.headers.get("location")).to.equal(null);
    expect(await res.json()).to.deep.equal({
      error: { code: "NoSuchKey", message: "no object at gone/soon.txt" },
    });
    const curl = await run("curl", [
      "-sS",
      "-L",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `${stack.apiUrl}/gone/soon.txt`,
    ]);
    expect(curl.stdout).to.equal("404");
  });

  it("50 concurrent uploads of distinct keys all land intact", async () => {
    const bodies = Array.from({ length: 50 }, (_, i) => randomBytes(50_000 + i));
    const results = await Promise.all(bodies.map((body, i) => upload(stack, `many/${i}.bin`, body)));
    expect(results.map((r) => r.status)).to.deep.equal(bodies.map(() => 200));
    const back = await Promise.all(
      bodies.map(async (_, i) =>
        sha256(Buffer.from(await (await download(stack, `many/${i}.bin`)).arrayBuffer())),
      ),
    );
    expect(back).to.deep.equal(bodies.map(sha256));
  });

  it("a restart keeps the data and the signing key", async () => {
    const body = randomBytes(4096);
    expect((await upload(stack, "keep/me.bin", body)).status).to.equal(200);
    const oldUrl = (await instruction(stack, "GET", "keep/me.bin")).url;
    const edgePort = Number(new URL(stack.edgeUrl).port);
    await stack.stop();
    // The same edge port: a signed URL names its host, so only then can an old URL still verify.
    stack = await startLocalStack({ dataDir, apiPort: 0, edgePort, log: quiet });
    const res = await download(stack, "keep/me.bin");
    expect(sha256(Buffer.from(await res.arrayBuffer()))).to.equal(sha256(body));
    const carried = await fetch(oldUrl);
    expect(carried.status).to.equal(200);
    expect(sha256(Buffer.from(await carried.arrayBuffer()))).to.equal(sha256(body));
  });
});

describe("local stack with upload limits", function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-limits-"));
    stack = await startLocalStack({
      dataDir,
      apiPort: 0,
      uploads: { maxUploadBytes: 1024 * 1024, allowedContentTypes: ["image/*"] },
      log: quiet,
    });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("curl -L -T of a file over the limit gets 413 from the function, before any URL is signed", async () => {
    writeFileSync(join(dataDir, "big.png"), randomBytes(1024 * 1024 + 1));
    const { stdout } = await run("curl", [
      "-sS",
      "-L",
      "-T",
      join(dataDir, "big.png"),
      "-H",
      "Content-Type: image/png",
      "-w",
      "\n%{http_code} %{num_redirects}",
      `${stack.apiUrl}/photos/big.png`,
    ]);
    expect(stdout).to.equal(
      '{"error":{"code":"PayloadTooLarge","message":"the upload is 1048577 bytes; this store accepts at most 1048576 bytes"}}\n413 0',
    );
  });

  it("a disallowed type gets 415 through the function URL", async () => {
    const res = await fetch(`${stack.apiUrl}/docs/a.html`, {
      method: "PUT",
      headers: { accept: "application/json", "content-type": "text/html", "upload-length": "10" },
    });
    expect(res.status).to.equal(415);
    expect(await res.json()).to.deep.equal({
      error: {
        code: "UnsupportedMediaType",
        message: 'content type "text/html" is not accepted; this store accepts image/*',
      },
    });
  });

  it("storage refuses a body of another size than the one signed", async () => {
    const step = await instruction(stack, "PUT", "photos/sized.png", {
      "content-type": "image/png",
      "upload-length": "100",
    });
    // Content-Length is signed (see the URL) but not a header to send: the body sets it.
    expect(step.headers).to.deep.equal({ "Content-Type": "image/png" });
    expect(new URL(step.url).searchParams.get("X-Amz-SignedHeaders")).to.equal(
      "content-length;content-type;host",
    );
    const longer = await fetch(step.url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: randomBytes(101),
    });
    expect(longer.status).to.equal(403);
    expect(await longer.text()).to.include("<Code>SignatureDoesNotMatch</Code>");
    const exact = await fetch(step.url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: randomBytes(100),
    });
    expect(exact.status).to.equal(200);
  });
});
