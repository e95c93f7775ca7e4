import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Api, ApiError } from "../../../client/api";
import type { RetryOptions } from "../../../client/retry";
import { uploadFile } from "../../../client/transfer/upload";
import { stateFileFor, type UploadState } from "../../../client/transfer/upload-state";
import { type FakeServer, fakeServer, sendJson } from "../fake-server";

const MiB = 1024 * 1024;
const FAST_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

/**
 * A multipart API and storage that refuse what S3 refuses: a completion with a part under 5 MiB
 * but the last (EntityTooSmall), and any call for an upload it does not know (NoSuchUpload).
 */
async function multipartStore(options: { refuseCompletionOf?: string } = {}) {
  const uploads = new Map<string, Map<number, Buffer>>();
  const aborted: string[] = [];
  const created: string[] = [];
  const storage = await fakeServer((req, res) => {
    const url = new URL(req.target, "http://s");
    uploads
      .get(url.searchParams.get("uploadId") ?? "")
      ?.set(Number(url.searchParams.get("partNumber")), req.body);
    res.writeHead(200, { etag: `"${md5(req.body)}"` }).end();
  });
  const api: FakeServer = await fakeServer((req, res) => {
    const url = new URL(req.target, "http://a");
    const uploadId = url.searchParams.get("uploadId") ?? "";
    if (req.method === "POST" && url.searchParams.has("uploads")) {
      const id = `U${created.length + 1}`;
      created.push(id);
      uploads.set(id, new Map());
      return sendJson(res, 200, { uploadId: id, key: "k", partSize: 5 * MiB, maxParts: 10000 });
    }
    const parts = uploads.get(uploadId);
    if (!parts) {
      if (req.method === "DELETE") aborted.push(uploadId);
      return sendJson(res, 404, {
        error: { code: "NoSuchUpload", message: `no multipart upload ${uploadId}` },
      });
    }
    if (req.method === "DELETE") {
      aborted.push(uploadId);
      uploads.delete(uploadId);
      return void res.writeHead(204).end();
    }
    const range = url.searchParams.get("parts");
    if (req.method === "GET" && range) {
      const [first, last] = range.split("-").map(Number) as [number, number];
      const list = [];
      for (let n = first; n <= last; n++) {
        list.push({
          partNumber: n,
          url: `${storage.url}/k?uploadId=${uploadId}&partNumber=${n}`,
          headers: {},
        });
      }
      return sendJson(res, 200, { parts: list, expiresAt: new Date(Date.now() + 300_000).toISOString() });
    }
    if (req.method === "GET") {
      const listed = [...parts].map(([partNumber, b]) => ({
        partNumber,
        etag: `"${md5(b)}"`,
        size: b.length,
      }));
      return sendJson(res, 200, { parts: listed });
    }
    const sizes = [...parts].sort(([a], [b]) => a - b).map(([, b]) => b.length);
    if (uploadId === options.refuseCompletionOf || sizes.slice(0, -1).some((n) => n < 5 * MiB)) {
      return sendJson(res, 400, {
        error: { code: "EntityTooSmall", message: "every part except the last must be at least 5 MiB" },
      });
    }
    uploads.delete(uploadId);
    sendJson(res, 200, { key: "k", etag: `"x-${sizes.length}"`, size: sizes.reduce((a, b) => a + b, 0) });
  });
  return {
    api,
    aborted,
    created,
    /** An upload started earlier, as the store still holds it. */
    open: (uploadId: string) => void uploads.set(uploadId, new Map()),
    close: async () => {
      await api.close();
      await storage.close();
    },
  };
}

describe("saved uploads that cannot complete", function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sfs-resume-"));
    file = join(dir, "eleven.bin");
    writeFileSync(file, randomBytes(11 * MiB));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const upload = (apiUrl: string, stateDir: string, notices: string[]) =>
    uploadFile(new Api(apiUrl, { kind: "none" }, FAST_RETRY), file, "k", {
      multipartThreshold: 1,
      concurrency: 2,
      stateDir,
      retry: FAST_RETRY,
      onNotice: (m) => notices.push(m),
    });

  /** A state file as an earlier run (or an older sfstore) left it. */
  const saveState = (apiUrl: string, stateDir: string, uploadId: string, partSize: number) => {
    const stat = statSync(file);
    const state: UploadState = {
      apiUrl,
      key: "k",
      file,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      checksumAlgorithm: "CRC64NVME",
      uploadId,
      partSize,
    };
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(stateFileFor(stateDir, apiUrl, "k", file), JSON.stringify(state));
  };

  it("a completion refused for good discards the saved upload, so the next run starts afresh", async () => {
    const store = await multipartStore({ refuseCompletionOf: "U1" });
    const stateDir = join(dir, "state-refused");
    try {
      const notices: string[] = [];
      await upload(store.api.url, stateDir, notices).then(
        () => expect.fail("the completion should have been refused"),
        (error: unknown) => {
          expect(error).to.be.instanceOf(ApiError);
          expect((error as Error).message).to.equal(
            "400 EntityTooSmall: every part except the last must be at least 5 MiB",
          );
        },
      );
      expect(notices).to.deep.equal([
        "discarded the upload of k, which cannot complete; running the same command again starts afresh",
      ]);
      expect(store.aborted).to.deep.equal(["U1"]);
      expect(readdirSync(stateDir)).to.deep.equal([]);

      const again = await upload(store.api.url, stateDir, notices);
      expect(again).to.include({ size: 11 * MiB, parts: 3, resumedParts: 0 });
      expect(store.created).to.deep.equal(["U1", "U2"]);
      expect(notices).to.have.length(1);
      expect(readdirSync(stateDir)).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it("a saved upload with parts S3 refuses (1 MiB, from an older sfstore) is replaced, with a notice", async () => {
    const store = await multipartStore();
    const stateDir = join(dir, "state-small-parts");
    try {
      store.open("OLD");
      saveState(store.api.url, stateDir, "OLD", MiB);
      const notices: string[] = [];
      const result = await upload(store.api.url, stateDir, notices);
      expect(result).to.include({ size: 11 * MiB, parts: 3, resumedParts: 0 });
      expect(notices).to.deep.equal([
        "discarded the saved upload of k (parts of 1 MiB are below S3's 5 MiB minimum); starting afresh",
      ]);
      expect(store.aborted).to.deep.equal(["OLD"]);
      expect(store.created).to.deep.equal(["U1"]);
      expect(readdirSync(stateDir)).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it("a saved upload the store no longer knows is replaced in the same run", async () => {
    const store = await multipartStore();
    const stateDir = join(dir, "state-gone");
    try {
      saveState(store.api.url, stateDir, "GONE", 5 * MiB);
      const notices: string[] = [];
      const result = await upload(store.api.url, stateDir, notices);
      expect(result).to.include({ size: 11 * MiB, parts: 3, resumedParts: 0 });
      expect(notices).to.deep.equal([
        "discarded the saved upload of k, which cannot complete (404 NoSuchUpload: no multipart upload GONE); starting afresh",
      ]);
      // Nothing to abort: the store has already forgotten it.
      expect(store.aborted).to.deep.equal([]);
      expect(readdirSync(stateDir)).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it("a saved upload begun without checksums (an older sfstore) is aborted and replaced, with a notice", async () => {
    const store = await multipartStore();
    const stateDir = join(dir, "state-unchecked");
    try {
      store.open("UNCHECKED");
      saveState(store.api.url, stateDir, "UNCHECKED", 5 * MiB);
      const stateFile = stateFileFor(stateDir, store.api.url, "k", file);
      const { checksumAlgorithm: _dropped, ...older } = JSON.parse(readFileSync(stateFile, "utf8"));
      writeFileSync(stateFile, JSON.stringify({ ...older, sha256: "0".repeat(64) }));
      const notices: string[] = [];
      expect(await upload(store.api.url, stateDir, notices)).to.include({ parts: 3, resumedParts: 0 });
      expect(notices).to.deep.equal([
        "discarded the saved upload of k (it was begun without checksums); starting afresh",
      ]);
      expect(store.aborted).to.deep.equal(["UNCHECKED"]);
      expect(store.created).to.deep.equal(["U1"]);
    } finally {
      await store.close();
    }
  });

  it("an unreadable state file is replaced, with a notice", async () => {
    const store = await multipartStore();
    const stateDir = join(dir, "state-garbled");
    try {
      mkdirSync(stateDir, { recursive: true });
      const stateFile = stateFileFor(stateDir, store.api.url, "k", file);
      writeFileSync(stateFile, "{ not json");
      const notices: string[] = [];
      expect(await upload(store.api.url, stateDir, notices)).to.include({ parts: 3, resumedParts: 0 });
      expect(notices).to.deep.equal([
        `the saved state of this upload (${stateFile}) is unreadable; starting afresh`,
      ]);
    } finally {
      await store.close();
    }
  });
});
