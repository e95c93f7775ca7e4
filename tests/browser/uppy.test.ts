import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { closeServer, listen } from "../../local/http/listen";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { launchChromium, watchedPage } from "../support/chromium";

const ROOT = join(__dirname, "..", "..");

/**
 * The page's script: the real @uppy/core and @uppy/aws-s3 with the adapter, configured in the one
 * line a user writes. Bundled here by esbuild, as a site would bundle it.
 */
const PAGE_SCRIPT = `
import Uppy from "@uppy/core";
import AwsS3 from "@uppy/aws-s3";
import { signedFileStore } from "./browser/uppy";

window.uploadWithUppy = async (apiUrl, files) => {
  const uppy = new Uppy().use(AwsS3, signedFileStore({ apiUrl, prefix: "uppy/" }));
  const successes = [];
  uppy.on("upload-success", (file, response) => successes.push({ name: file.name, key: response.body.key, location: response.body.location }));
  for (const { name, size, seed } of files) uppy.addFile({ name, type: "application/octet-stream", data: pseudoRandomFile(size, seed) });
  const result = await uppy.upload();
  return { successful: result.successful.length, failed: result.failed.map((f) => String(f.error)), successes };
};

window.pauseAndResume = async (apiUrl, size, seed) => {
  const uppy = new Uppy().use(AwsS3, signedFileStore({ apiUrl, prefix: "uppy/" }));
  const id = uppy.addFile({ name: "paused.bin", type: "application/octet-stream", data: pseudoRandomFile(size, seed) });
  const events = [];
  uppy.on("s3-multipart:part-uploaded", (file, part) => {
    events.push("part " + part.PartNumber);
    if (part.PartNumber === 1) {
      uppy.pauseResume(id);
      events.push("paused");
      // Resumed a moment later: @uppy/aws-s3 lists the stored parts (GET ?uploadId, in S3's XML) and sends the rest.
      setTimeout(() => { events.push("resumed"); uppy.pauseResume(id); }, 200);
    }
  });
  const done = new Promise((resolve) => uppy.on("complete", resolve));
  uppy.upload();
  const result = await done;
  return { successful: result.successful.length, failed: result.failed.length, events };
};

window.readBack = async (apiUrl, key) => {
  const res = await fetch(apiUrl + "/" + key.split("/").map(encodeURIComponent).join("/"));
  const bytes = await res.arrayBuffer();
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return { status: res.status, origin: new URL(res.url).origin, length: bytes.byteLength,
    sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("") };
};

function pseudoRandomFile(length, seed) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return new Blob([out]);
}
`;

/** xorshift32, as the page makes its files. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** A site of its own on 127.0.0.1: one page and its bundled script, on an origin apart from the stack's. */
async function startSite(): Promise<{ url: string; server: Server }> {
  const bundled = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: "js", sourcefile: "uppy-page.js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const script = bundled.outputFiles[0]?.text ?? "";
  const html =
    '<!doctype html><meta charset="utf-8"><title>uppy</title><link rel="icon" href="data:,"><script type="module" src="/app.js"></script>';
  const server = createServer((req, res) => {
    const [type, body] =
      req.url === "/app.js" ? ["text/javascript", script] : req.url === "/" ? ["text/html", html] : ["", ""];
    if (!type) res.writeHead(404).end();
    else
      res.writeHead(200, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-store" }).end(body);
  });
  return { url: await listen(server), server };
}

describe("Uppy (@uppy/core and @uppy/aws-s3 6) through the adapter, in headless Chromium from another origin", function () {
  this.timeout(180_000);
  let dataDir: string;
  let site: { url: string; server: Server };
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let requests: string[];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-uppy-"));
    site = await startSite();
    stack = await startLocalStack({ dataDir, apiPort: 0, corsOrigins: [site.url], log: () => {} });
    browser = await launchChromium();
    ({ page, problems, requests } = await watchedPage(browser));
    await page.goto(`${site.url}/`);
    await page.waitForFunction("typeof window.uploadWithUppy === 'function'");
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await closeServer(site.server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("uploads 40 MB in parts and 1 MB in one PUT, and both read back byte-identical", async () => {
    const files = [
      { name: "big ü.bin", size: 40 * 1000 * 1000, seed: 11 },
      { name: "small.bin", size: 1000 * 1000, seed: 12 },
    ];
    expect(new URL(site.url).origin).to.not.equal(new URL(stack.apiUrl).origin);
    const out = (await page.evaluate(
      `window.uploadWithUppy(${JSON.stringify(stack.apiUrl)}, ${JSON.stringify(files)})`,
    )) as {
      successful: number;
      failed: string[];
      successes: Array<{ name: string; key: string; location: string }>;
    };
    expect(out.failed).to.deep.equal([]);
    expect(out.successful).to.equal(2);
    const byName = new Map(out.successes.map((s) => [s.name, s]));
    expect(byName.get("big ü.bin")?.key).to.equal("uppy/big ü.bin");
    expect(byName.get("small.bin")?.key).to.equal("uppy/small.bin");
    // The multipart completion's Location is the object's URL in the API (the local adapter sends no
    // X-Forwarded-Proto, so its scheme is the deployed one, https); a single PUT's is storage's URL.
    const big = new URL(byName.get("big ü.bin")?.location ?? "");
    expect(`${big.host}${big.pathname}`).to.equal(`${new URL(stack.apiUrl).host}/uppy/big%20%C3%BC.bin`);
    const small = new URL(byName.get("small.bin")?.location ?? "");
    expect(small.origin).to.equal(new URL(stack.storageUrl).origin);

    // 40 MB in 8 MiB parts is 5 part PUTs; the small file is one PUT; all straight to storage.
    const storage = new URL(stack.storageUrl).origin;
    expect(requests.filter((r) => r === `PUT ${storage}`)).to.have.length(6);
    expect(
      requests.filter((r) => r.endsWith(storage) && !r.startsWith("PUT") && !r.startsWith("OPTIONS")),
    ).to.deep.equal([]);

    for (const file of files) {
      const data = pseudoRandomBytes(file.size, file.seed);
      const back = (await page.evaluate(
        `window.readBack(${JSON.stringify(stack.apiUrl)}, ${JSON.stringify(`uppy/${file.name}`)})`,
      )) as { status: number; origin: string; length: number; sha256: string };
      expect(back).to.deep.equal({
        status: 200,
        origin: new URL(stack.edgeUrl).origin,
        length: file.size,
        sha256: sha256(data),
      });
      // The adapter sent each file's SHA-256 and name; the API reports them with the object.
      const stat = await fetch(`${stack.apiUrl}/uppy/${encodeURIComponent(file.name)}`, {
        headers: { accept: "application/json" },
      });
      const { object } = (await stat.json()) as { object: Record<string, unknown> };
      expect(object).to.include({
        key: `uppy/${file.name}`,
        size: file.size,
        sha256: sha256(data),
        contentType: "application/octet-stream",
        contentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      });
    }
    expect(problems).to.deep.equal([]);
  });

  it("pauses a multipart upload after its first part and resumes it from the parts the API lists", async () => {
    const size = 20 * 1000 * 1000;
    const urls: string[] = [];
    page.on("request", (r) => urls.push(`${r.method()} ${r.url()}`));
    const out = (await page.evaluate(
      `window.pauseAndResume(${JSON.stringify(stack.apiUrl)}, ${size}, 13)`,
    )) as {
      successful: number;
      failed: number;
      events: string[];
    };
    expect(out.successful).to.equal(1);
    expect(out.failed).to.equal(0);
    expect(out.events.slice(0, 3)).to.deep.equal(["part 1", "paused", "resumed"]);
    // A part cut off by the pause is sent again; part 1 never is.
    expect(out.events.filter((e) => e === "part 1")).to.have.length(1);
    expect(out.events.filter((e) => e.startsWith("part ")).sort()).to.deep.equal([
      "part 1",
      "part 2",
      "part 3",
    ]);
    // One listing of the stored parts, at the resume; every other API call signs a part or completes.
    const listings = urls.filter((u) => /^GET [^?]+\/uppy\/paused\.bin\?uploadId=[^&]+$/.test(u));
    expect(listings).to.have.length(1);
    const back = (await page.evaluate(
      `window.readBack(${JSON.stringify(stack.apiUrl)}, "uppy/paused.bin")`,
    )) as { length: number; sha256: string };
    expect(back.length).to.equal(size);
    expect(back.sha256).to.equal(sha256(pseudoRandomBytes(size, 13)));
    expect(problems).to.deep.equal([]);
  });
});
