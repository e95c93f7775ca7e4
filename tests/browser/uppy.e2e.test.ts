/**
 * Uppy (@uppy/core and @uppy/aws-s3 6) through the adapter against the local stack, end to end: the
 * uploads carry x-amz-checksum-* headers, so they need the function to sign them, the storage to
 * check them and the API and bucket CORS rules to let them through (CONTRACTS.md §1).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { type LocalStack, startLocalStack } from "../../local/stack/stack";
import { awsCrc64 } from "../support/aws-crc";
import { launchChromium, PAGE_BYTES, pseudoRandomBytes, startSite, watchedPage } from "../support/chromium";

const ROOT = join(__dirname, "..", "..");
const MIB = 1024 ** 2;

/**
 * The page's script: the real @uppy/core and @uppy/aws-s3 with the adapter, configured in the one
 * line a user writes. Bundled here by esbuild, as a site would bundle it.
 */
const PAGE_SCRIPT = `
import Uppy from "@uppy/core";
import AwsS3 from "@uppy/aws-s3";
import { signedFileStore } from "./browser/uppy";

const bytes = ${PAGE_BYTES};

window.uploadWithUppy = async (apiUrl, files) => {
  const uppy = new Uppy().use(AwsS3, signedFileStore({ apiUrl, prefix: "uppy/" }));
  const successes = [];
  uppy.on("upload-success", (file, response) => successes.push({ name: file.name, key: response.body.key, location: response.body.location }));
  for (const { name, size, seed, type } of files) uppy.addFile({ name, type: type ?? "application/octet-stream", data: new Blob([bytes(size, seed)]) });
  const result = await uppy.upload();
  return { successful: result.successful.length, failed: result.failed.map((f) => String(f.error)), successes };
};

window.pauseAndResume = async (apiUrl, size, seed) => {
  const uppy = new Uppy().use(AwsS3, signedFileStore({ apiUrl, prefix: "uppy/" }));
  const id = uppy.addFile({ name: "paused.bin", type: "application/octet-stream", data: new Blob([bytes(size, seed)]) });
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
`;

describe("Uppy (@uppy/core and @uppy/aws-s3 6) through the adapter, in headless Chromium from another origin (e2e)", function () {
  this.timeout(240_000);
  let dataDir: string;
  let site: { url: string; close(): Promise<void> };
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let requests: string[];
  /** The API requests the page made, as METHOD, URL and Accept. */
  let apiCalls: string[];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-uppy-"));
    const bundled = await build({
      stdin: { contents: PAGE_SCRIPT, resolveDir: ROOT, loader: "js", sourcefile: "uppy-page.js" },
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent",
    });
    site = await startSite({ "/app.js": bundled.outputFiles[0]?.text ?? "" });
    stack = await startLocalStack({
      dataDir,
      apiPort: 0,
      corsOrigins: [site.url],
      uploads: { allowedContentTypes: ["application/octet-stream"] },
      log: () => {},
    });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    ({ page, problems, requests } = await watchedPage(browser));
    apiCalls = [];
    page.on("request", (r) => {
      if (new URL(r.url()).origin === new URL(stack.apiUrl).origin && r.method() !== "OPTIONS") {
        apiCalls.push(`${r.method()} ${r.url()} ${r.headers().accept}`);
      }
    });
    await page.goto(`${site.url}/`);
    await page.waitForFunction("typeof window.uploadWithUppy === 'function'");
  });
  afterEach(() => page.close());
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await site?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  type Outcome = {
    successful: number;
    failed: string[];
    successes: Array<{ name: string; key: string; location: string }>;
  };
  const upload = (files: Array<{ name: string; size: number; seed: number; type?: string }>) =>
    page.evaluate(
      `window.uploadWithUppy(${JSON.stringify(stack.apiUrl)}, ${JSON.stringify(files)})`,
    ) as Promise<Outcome>;

  /** The API's JSON answer for a key (or one of its versions), and the bytes its read URL serves. */
  async function read(key: string, versionId?: string) {
    const path = key.split("/").map(encodeURIComponent).join("/");
    const query = versionId ? `?versionId=${encodeURIComponent(versionId)}` : "";
    const res = await fetch(`${stack.apiUrl}/${path}${query}`, { headers: { accept: "application/json" } });
    const answer = (await res.json()) as {
      url: string;
      object: { size: number; checksum?: { value: string } };
    };
    const bytes = new Uint8Array(await (await fetch(answer.url)).arrayBuffer());
    return { object: answer.object, bytes };
  }

  it("uploads 40 MB in parts and 1 MB in one PUT; both read back byte-identical, each with its own CRC64NVME", async () => {
    const files = [
      { name: "big ü.bin", size: 40 * 1000 * 1000, seed: 11 },
      { name: "small.bin", size: 1000 * 1000, seed: 12 },
    ];
    const out = await upload(files);
    expect(out.failed).to.deep.equal([]);
    expect(out.successful).to.equal(2);
    const byName = new Map(out.successes.map((s) => [s.name, s]));
    expect(byName.get("big ü.bin")?.key).to.equal("uppy/big ü.bin");
    const big = new URL(byName.get("big ü.bin")?.location ?? "");
    expect(`${big.host}${big.pathname}`).to.equal(`${new URL(stack.apiUrl).host}/uppy/big%20%C3%BC.bin`);
    expect(new URL(byName.get("small.bin")?.location ?? "").origin).to.equal(
      new URL(stack.storageUrl).origin,
    );
    // 40 MB in 8 MiB parts is 5 part PUTs, signed 4 to an API request; the small file is one PUT.
    expect(requests.filter((r) => r === `PUT ${new URL(stack.storageUrl).origin}`)).to.have.length(6);
    expect(
      apiCalls
        .filter((c) => c.includes("parts="))
        .map((c) => new URL(c.split(" ")[1] ?? "").searchParams.get("parts")),
    ).to.deep.equal(["1-4", "5-5"]);
    for (const file of files) {
      const data = pseudoRandomBytes(file.size, file.seed);
      const back = await read(`uppy/${file.name}`);
      expect(Buffer.from(back.bytes).equals(Buffer.from(data))).to.equal(true);
      expect(back.object.checksum?.value).to.equal(await awsCrc64(data));
    }
    expect(problems).to.deep.equal([]);
  });

  it("two different files with the same name in one batch both succeed, and no version carries a checksum not its own", async () => {
    for (const [size, seeds] of [
      [300_000, [21, 22]],
      [12 * MIB, [23, 24]],
    ] as const) {
      const name = `twin-${size}.bin`;
      // Different sizes too, so a mix-up could not pass unnoticed.
      const files = [
        { name, size, seed: seeds[0] },
        { name, size: size + 4321, seed: seeds[1] },
      ];
      const out = await upload(files);
      expect(out.failed).to.deep.equal([]);
      expect(out.successful).to.equal(2);
      const listed = await fetch(`${stack.apiUrl}/uppy/${name}?versions`, {
        headers: { accept: "application/json" },
      });
      const { versions } = (await listed.json()) as { versions: Array<{ versionId: string }> };
      expect(versions).to.have.length(2);
      const expected = await Promise.all(files.map((f) => awsCrc64(pseudoRandomBytes(f.size, f.seed))));
      const stored = [];
      for (const v of versions) {
        const back = await read(`uppy/${name}`, v.versionId);
        // Each version's checksum is the CRC of its own bytes, computed here apart from the store.
        expect(back.object.checksum?.value).to.equal(await awsCrc64(back.bytes));
        stored.push(back.object.checksum?.value);
      }
      expect([...stored].sort()).to.deep.equal([...expected].sort());
    }
    expect(problems).to.deep.equal([]);
  });

  it("a 60 MiB file's 8 parts take 2 API requests to sign", async () => {
    const out = await upload([{ name: "sixty.bin", size: 60 * MIB, seed: 31 }]);
    expect(out.successful).to.equal(1);
    expect(apiCalls.filter((c) => c.includes("parts="))).to.have.length(2);
    expect((await read("uppy/sixty.bin")).object.checksum?.value).to.equal(
      await awsCrc64(pseudoRandomBytes(60 * MIB, 31)),
    );
  });

  it("a multipart upload the API refuses fails in Uppy with the API's message, not S3's status", async () => {
    const out = await upload([{ name: "notes.txt", size: 10 * MIB, seed: 41, type: "text/plain" }]);
    expect(out.successful).to.equal(0);
    expect(out.failed).to.deep.equal([
      'content type "text/plain" is not accepted; this store accepts application/octet-stream',
    ]);
  });

  it("pauses a multipart upload after its first part and resumes it from the parts the API lists", async () => {
    const size = 20 * 1000 * 1000;
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
    expect(out.events.filter((e) => e === "part 1")).to.have.length(1);
    expect(out.events.filter((e) => e.startsWith("part ")).sort()).to.deep.equal([
      "part 1",
      "part 2",
      "part 3",
    ]);
    // One listing of the stored parts in S3's XML, the plugin's at the resume (the adapter lists them
    // in JSON once more at the completion, for their ETags).
    const listings = apiCalls.filter((u) => /^GET [^?]+\/uppy\/paused\.bin\?uploadId=[^& ]+ /.test(u));
    expect(listings.map((u) => u.split(" ")[2])).to.deep.equal(["application/xml", "application/json"]);
    const back = await read("uppy/paused.bin");
    expect(Buffer.from(back.bytes).equals(Buffer.from(pseudoRandomBytes(size, 13)))).to.equal(true);
    expect(back.object.checksum?.value).to.equal(await awsCrc64(back.bytes));
  });
});
