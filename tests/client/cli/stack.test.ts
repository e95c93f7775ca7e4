import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { stateFileFor, type UploadState } from "../../../client/transfer/upload-state";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { cliOptions, expectedCheck, fileSha256, MiB, makeFile, sfs } from "../../support/sfs-cli";

describe("sfstore share, stat, keys and saved uploads against the local stack", function () {
  this.timeout(300_000);
  let dir: string;
  let stack: LocalStack;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-stack-"));
    stack = await startLocalStack({ dataDir: join(dir, "data"), apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const options = () => cliOptions(stack.apiUrl, dir);

  it("share --download gives a URL whose download is an attachment of that name, with the exact bytes", async () => {
    const file = join(dir, "report.bin");
    await makeFile(file, 3 * MiB + 17);
    expect((await sfs(["put", file, "shared/report.bin", ...options()])).code).to.equal(0);
    const shared = await sfs([
      "share",
      "shared/report.bin",
      "--expires",
      "15m",
      "--download",
      "Grüße (final).bin",
      "--api-url",
      stack.apiUrl,
    ]);
    expect(shared.stderr).to.equal("");
    expect(shared.code).to.equal(0);
    expect(shared.stdout.endsWith("\n")).to.equal(true);
    expect(shared.stdout.trimEnd().split("\n")).to.have.length(1);
    const url = shared.stdout.trimEnd();
    expect(url.startsWith(`${stack.edgeUrl}/shared/report.bin?`)).to.equal(true);
    const res = await fetch(url);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-disposition")).to.equal(
      "attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%28final%29.bin",
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).to.equal(3 * MiB + 17);
    expect(createHash("sha256").update(bytes).digest("hex")).to.equal(await fileSha256(file));

    const json = JSON.parse(
      (await sfs(["share", "shared/report.bin", "--expires", "1h", ...options()])).stdout,
    );
    expect(json).to.have.keys(["method", "url", "headers", "expiresAt", "object"]);
    expect(json.object).to.include({ key: "shared/report.bin", size: 3 * MiB + 17 });
    const expiresIn = Date.parse(json.expiresAt) - Date.now();
    expect(expiresIn).to.be.above(3500_000);

    const tooLong = await sfs(["share", "shared/report.bin", "--expires", "2d", "--api-url", stack.apiUrl]);
    expect(tooLong.code).to.equal(1);
    expect(tooLong.stderr).to.equal(
      'sfstore: 400 InvalidExpires: expires must be a whole number of seconds from 1 to 86400 (this store\'s maxReadExpirySeconds), got "172800"\n' +
        "sfstore: likely cause: the deployment caps how long a read URL may live (maxReadExpirySeconds): ask for a shorter --expires\n",
    );
  });

  it("stat reads the object's metadata from the API's answer, and 404s for a missing key", async () => {
    const file = join(dir, "notes.txt");
    writeFileSync(file, "stat me");
    const put = JSON.parse((await sfs(["put", file, "meta/notes ü.txt", ...options()])).stdout);
    const stat = await sfs(["stat", "meta/notes ü.txt", ...options()]);
    expect(stat.stderr).to.equal("");
    const info = JSON.parse(stat.stdout);
    expect(info).to.include({
      key: "meta/notes ü.txt",
      size: 7,
      etag: put.etag,
      contentType: "text/plain",
      contentDisposition: `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`,
    });
    expect(new Date(info.lastModified).toISOString()).to.equal(info.lastModified);
    expect(Math.abs(Date.parse(info.lastModified) - Date.now())).to.be.below(60_000);

    const text = await sfs(["stat", "meta/notes ü.txt", "--api-url", stack.apiUrl]);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).to.equal("key            meta/notes ü.txt");
    expect(lines[1]).to.equal("size           7 bytes");
    expect(lines).to.include("content type   text/plain");

    const missing = await sfs(["stat", "meta/none.txt", "--api-url", stack.apiUrl]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr.split("\n")[0]).to.equal("sfstore: 404 NoSuchKey: no object at meta/none.txt");
  });

  it("rm of a key with a .. segment exits 2 and leaves the key it would have named", async () => {
    const file = join(dir, "victim.txt");
    writeFileSync(file, "still here");
    expect((await sfs(["put", file, "victim", ...options()])).code).to.equal(0);
    const rm = await sfs(["rm", "alice/../victim", ...options()]);
    expect(rm.code).to.equal(2);
    const put = await sfs(["put", file, "a/../b", ...options()]);
    expect(put.code).to.equal(2);
    const back = join(dir, "victim.back");
    expect((await sfs(["get", "victim", back, ...options()])).code).to.equal(0);
    expect(readFileSync(back, "utf8")).to.equal("still here");
    expect((await sfs(["stat", "b", ...options()])).code).to.equal(1);
  });

  it("get into a directory writes the key's last segment there; a missing directory is refused before the key is looked up", async () => {
    writeFileSync(join(dir, "photo.bin"), "photo bytes");
    expect((await sfs(["put", join(dir, "photo.bin"), "albums/2026/photo.bin", ...options()])).code).to.equal(
      0,
    );
    const text = ["--api-url", stack.apiUrl, "--no-progress"];
    const check = await expectedCheck(stack.apiUrl, "albums/2026/photo.bin");
    mkdirSync(join(dir, "into"));
    for (const [target, written] of [
      ["into", "into/photo.bin"],
      ["into/", "into/photo.bin"],
      [join(dir, "into"), join(dir, "into", "photo.bin")],
    ] as const) {
      rmSync(join(dir, "into", "photo.bin"), { force: true });
      expect(await sfs(["get", "albums/2026/photo.bin", target, ...text], {}, { cwd: dir })).to.deep.equal({
        code: 0,
        stdout: `downloaded albums/2026/photo.bin to ${written}: 11 bytes, ${check}\n`,
        stderr: "",
      });
      expect(readFileSync(join(dir, "into", "photo.bin"), "utf8")).to.equal("photo bytes");
    }
    // Without FILE, a directory named like the key's last segment is written into, not over.
    rmSync(join(dir, "into", "photo.bin"));
    mkdirSync(join(dir, "into", "photo.bin"));
    const inside = await sfs(["get", "albums/2026/photo.bin", ...text], {}, { cwd: join(dir, "into") });
    expect(inside.stdout).to.equal(
      `downloaded albums/2026/photo.bin to photo.bin/photo.bin: 11 bytes, ${check}\n`,
    );
    expect(readFileSync(join(dir, "into", "photo.bin", "photo.bin"), "utf8")).to.equal("photo bytes");

    // A key that does not exist: the answer is about the directory, so nothing was asked of the API.
    for (const [target, missing] of [
      ["nowhere/x.bin", "nowhere"],
      ["nowhere/", "nowhere/"],
    ]) {
      const refused = await sfs(["get", "albums/none.bin", target as string, ...text], {}, { cwd: dir });
      expect(refused).to.deep.equal({
        code: 1,
        stdout: "",
        stderr: `sfstore: cannot download to "${target}": no such directory "${missing}" (in ${dir})\n`,
      });
    }
    expect(readdirSync(dir).filter((name) => name.startsWith("nowhere"))).to.deep.equal([]);
  });

  it("a saved upload an older sfstore left with 1 MiB parts is replaced, and the upload completes", async () => {
    const file = join(dir, "stale.bin");
    await makeFile(file, 20 * MiB);
    const stateDir = join(dir, "state");
    // The upload as an older sfstore (which let --part-size 1MiB through) started and saved it.
    const created = await fetch(`${stack.apiUrl}/big/stale.bin?uploads`, {
      method: "POST",
      headers: { accept: "application/json", "upload-length": String(20 * MiB) },
    });
    expect(created.status).to.equal(200);
    const { uploadId } = (await created.json()) as { uploadId: string };
    const stat = statSync(file);
    const state: UploadState = {
      apiUrl: stack.apiUrl,
      key: "big/stale.bin",
      file,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      checksumAlgorithm: "CRC64NVME",
      uploadId,
      partSize: MiB,
    };
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(stateFileFor(stateDir, stack.apiUrl, "big/stale.bin", file), JSON.stringify(state));

    const put = await sfs(["put", file, "big/stale.bin", ...options()]);
    expect(put.stderr).to.equal(
      "sfstore: discarded the saved upload of big/stale.bin (parts of 1 MiB are below S3's 5 MiB minimum); starting afresh\n",
    );
    expect(put.code).to.equal(0);
    expect(JSON.parse(put.stdout)).to.include({ size: 20 * MiB, parts: 3, resumedParts: 0 });
    expect(readdirSync(stateDir)).to.deep.equal([]);
    const listed = await fetch(`${stack.apiUrl}/big/stale.bin?uploadId=${encodeURIComponent(uploadId)}`, {
      headers: { accept: "application/json" },
    });
    expect(listed.status).to.equal(404);
    const back = join(dir, "stale.back");
    expect((await sfs(["get", "big/stale.bin", back, ...options()])).code).to.equal(0);
    expect(await fileSha256(back)).to.equal(await fileSha256(file));
  });
});
