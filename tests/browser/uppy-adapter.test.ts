import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { expect } from "chai";
import { type ContractStore, contractStore, crcOf } from "../client/contract-store";
import { fakeServer, sendJson } from "../client/fake-server";

const MiB = 1024 * 1024;
const CRC = "x-amz-checksum-crc64nvme";

/** The requests `@uppy/aws-s3` 6 asks its `signRequest` to sign (its PresignableRequest). */
type Request =
  | { method: "PUT" | "POST" | "DELETE"; key: string; contentType?: string }
  | { method: "GET" | "POST" | "DELETE"; key: string; uploadId: string }
  | { method: "PUT"; key: string; uploadId: string; partNumber: number };
interface UppyFileLike {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly data: Blob;
  readonly isRemote: false;
  readonly meta: Record<string, unknown>;
}
interface Adapter {
  signRequest(request: Request): Promise<{ url: string; headers?: Record<string, string>; key?: string }>;
  generateObjectKey?(file: UppyFileLike): string;
}

// Loaded by its path rather than imported: its types come from @uppy/*, written against the DOM's
// lib, which would change Node's own fetch and Blob types for the whole test program.
const { signedFileStore } = require(join(__dirname, "..", "..", "browser", "uppy.ts")) as {
  signedFileStore: (options: Record<string, unknown>) => Adapter;
};

/** A file as Uppy hands it to the plugin's options. */
function uppyFile(id: string, name: string, data: Buffer, meta: Record<string, unknown> = {}): UppyFileLike {
  return {
    id,
    name,
    type: "application/octet-stream",
    size: data.length,
    data: new Blob([data]),
    isRemote: false,
    meta: { name, type: "application/octet-stream", ...meta },
  };
}

/** What S3mini does with a signed answer: the request, to the URL, with the headers given. */
async function send(
  answer: { url: string; headers?: Record<string, string> },
  method: string,
  body?: Buffer,
) {
  const res = await fetch(answer.url, { method, headers: answer.headers ?? {}, ...(body ? { body } : {}) });
  return { status: res.status, text: await res.text(), etag: res.headers.get("etag") };
}

/** The text of a `data:` URL's answer. */
const dataText = (url: string) => decodeURIComponent(url.replace(/^data:application\/xml,/, ""));

describe("the Uppy adapter's signing, request by request, against an API and storage that check checksums", function () {
  this.timeout(180_000);
  let store: ContractStore;
  let adapter: Adapter;
  beforeEach(async () => {
    store = await contractStore();
    store.partSize = 8 * MiB;
    adapter = signedFileStore({ apiUrl: store.api.url, prefix: "uppy/", allowedMetaFields: ["caption"] });
  });
  afterEach(() => store.close());
  const sign = (request: Request) => adapter.signRequest(request);
  const keyOf = (file: UppyFileLike) => adapter.generateObjectKey?.(file) ?? "";

  it("two files with one name, signed in either order, each PUT binds its own file's CRC64NVME", async () => {
    const a = randomBytes(300_000);
    const b = randomBytes(200_000);
    const refA = keyOf(uppyFile("uppy-a", "same.bin", a));
    const refB = keyOf(uppyFile("uppy-b", "same.bin", b));
    expect(refA).to.not.equal(refB);
    // The plugin asks for B first: nothing may pair B's request with A's bytes.
    const signedB = await sign({ method: "PUT", key: refB, contentType: "application/octet-stream" });
    const signedA = await sign({ method: "PUT", key: refA, contentType: "application/octet-stream" });
    expect([signedA.key, signedB.key]).to.deep.equal(["uppy/same.bin", "uppy/same.bin"]);
    expect(store.api.requests.map((r) => r.headers[CRC])).to.deep.equal([crcOf(b), crcOf(a)]);
    expect((await send(signedB, "PUT", b)).status).to.equal(200);
    expect((await send(signedA, "PUT", a)).status).to.equal(200);
    const versions = store.objects.get("uppy/same.bin") ?? [];
    expect(versions.map((v) => [v.body.length, v.checksum.value])).to.deep.equal([
      [b.length, crcOf(b)],
      [a.length, crcOf(a)],
    ]);
    // A body that is not the one signed is refused by storage, so no object carries another's checksum.
    const swapped = await send(signedA, "PUT", b);
    expect([swapped.status, /<Code>(\w+)</.exec(swapped.text)?.[1]]).to.deep.equal([400, "BadDigest"]);
    expect(store.objects.get("uppy/same.bin")).to.have.length(2);
  });

  it("two same-name multipart files interleaved: parts signed 4 to a request with their own CRCs, each completed with its whole CRC", async () => {
    const files = { a: randomBytes(40 * MiB), b: randomBytes(33 * MiB + 1234) };
    // Held here as Uppy holds them while they upload: the adapter keeps no bytes alive itself.
    const held = { a: uppyFile("uppy-a", "movie.bin", files.a), b: uppyFile("uppy-b", "movie.bin", files.b) };
    const refs = { a: keyOf(held.a), b: keyOf(held.b) };
    const created = {
      a: await sign({ method: "POST", key: refs.a }),
      b: await sign({ method: "POST", key: refs.b }),
    };
    const uploadId = (answer: { url: string }) => /<UploadId>([^<]+)</.exec(dataText(answer.url))?.[1] ?? "";
    const ids = { a: uploadId(created.a), b: uploadId(created.b) };
    expect(ids.a).to.not.equal(ids.b);
    expect(created.a.key).to.equal("uppy/movie.bin");
    expect(store.api.requests.map((r) => r.headers["x-amz-checksum-algorithm"])).to.deep.equal([
      "CRC64NVME",
      "CRC64NVME",
    ]);
    store.api.requests.length = 0;
    const count = { a: 5, b: 5 };
    // The plugin sends each file's parts in order, one at a time; the two files take turns here.
    for (let n = 1; n <= 5; n++) {
      for (const which of ["b", "a"] as const) {
        if (n > count[which]) continue;
        const target = await sign({
          method: "PUT",
          key: "uppy/movie.bin",
          uploadId: ids[which],
          partNumber: n,
        });
        const part = files[which].subarray((n - 1) * 8 * MiB, n * 8 * MiB);
        expect(target.headers?.[CRC]).to.equal(crcOf(part));
        expect((await send(target, "PUT", part)).status).to.equal(200);
      }
    }
    const signing = store.api.requests.filter((r) => r.target.includes("parts="));
    expect(signing.map((r) => new URL(r.target, "http://a").searchParams.get("parts"))).to.deep.equal([
      "1-4",
      "1-4",
      "5-5",
      "5-5",
    ]);
    for (const which of ["a", "b"] as const) {
      const done = await sign({ method: "POST", key: "uppy/movie.bin", uploadId: ids[which] });
      expect(dataText(done.url)).to.match(
        new RegExp(
          `^<\\?xml version="1.0" encoding="UTF-8"\\?><CompleteMultipartUploadResult><Location>${store.api.url}/uppy/movie.bin</Location><Key>uppy/movie.bin</Key><ETag>&quot;x-5&quot;</ETag></CompleteMultipartUploadResult>$`,
        ),
      );
      expect(store.api.requests.at(-1)?.headers[CRC]).to.equal(crcOf(files[which]));
    }
    expect(Object.keys(held)).to.have.length(2);
    const versions = store.objects.get("uppy/movie.bin") ?? [];
    expect(versions.map((v) => v.checksum.value)).to.deep.equal([crcOf(files.a), crcOf(files.b)]);
    expect(
      versions.map((v) => v.body.equals(files[v.body.length === files.a.length ? "a" : "b"])),
    ).to.deep.equal([true, true]);
  });

  it("forwards the allowed metadata fields as x-amz-meta-*, non-ASCII values RFC 2047-encoded, within S3's 2 KB", async () => {
    const ref = keyOf(uppyFile("m", "m.bin", randomBytes(10), { caption: "Grüße", secret: "not sent" }));
    await sign({ method: "PUT", key: ref, contentType: "application/octet-stream" });
    const headers = store.api.requests[0]?.headers ?? {};
    expect(Object.keys(headers).filter((h) => h.startsWith("x-amz-meta-"))).to.deep.equal([
      "x-amz-meta-caption",
    ]);
    expect(headers["x-amz-meta-caption"]).to.equal(`=?UTF-8?B?${Buffer.from("Grüße").toString("base64")}?=`);

    const big = keyOf(uppyFile("big", "big.bin", randomBytes(10), { caption: "x".repeat(2100) }));
    const refused = await sign({ method: "PUT", key: big, contentType: "text/plain" }).catch(
      (e: Error) => e.message,
    );
    expect(refused).to.equal("the file's metadata is 2107 bytes; S3 keeps at most 2048");
  });

  it("a refusal of the API reaches Uppy in the API's words, for a single PUT, a multipart create and a completion", async () => {
    const api = await fakeServer((_req, res) =>
      sendJson(res, 403, { error: { code: "Forbidden", message: 'this token may not write "uppy/x.bin"' } }),
    );
    try {
      const refusing = signedFileStore({ apiUrl: api.url, prefix: "uppy/" });
      const ref = refusing.generateObjectKey?.(uppyFile("x", "x.bin", randomBytes(10))) ?? "";
      for (const request of [
        { method: "PUT", key: ref, contentType: "application/octet-stream" },
        { method: "POST", key: ref },
        { method: "POST", key: "uppy/x.bin", uploadId: "U9" },
      ] as Request[]) {
        const error = await Promise.resolve(refusing.signRequest(request)).catch((e: Error) => e);
        expect((error as Error).message).to.equal('this token may not write "uppy/x.bin"');
        expect((error as { code?: string }).code).to.equal("Forbidden");
      }
    } finally {
      await api.close();
    }
  });
});
