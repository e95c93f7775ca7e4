import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SignedFileStoreClient } from "../../../client/index";
import { sfs } from "../../support/sfs-cli";
import { type ContractStore, contractStore, crcOf } from "../contract-store";
import { closedPort, fakeServer, sendJson } from "../fake-server";

const MiB = 1024 * 1024;

describe("sfstore against an API and storage that follow the contracts", function () {
  this.timeout(300_000);
  let dir: string;
  let store: ContractStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-contract-"));
    store = await contractStore();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    store.api.requests.length = 0;
    store.storage.requests.length = 0;
  });
  // Options first, so that an argument after "--" stays last.
  const run = (args: string[]) =>
    sfs(["--api-url", store.api.url, "--state-dir", join(dir, "state"), "--retries", "1", ...args]);
  const put = async (key: string, bytes: Buffer) => {
    const file = join(dir, "upload.bin");
    writeFileSync(file, bytes);
    const done = await run(["put", file, key]);
    expect(done.code, done.stderr).to.equal(0);
  };
  const calls = () => store.api.requests.map((r) => `${r.method} ${r.target}`);

  it("put takes the Content-Type from the key's extension, not the local file's, and the download name from the file", async () => {
    const file = join(dir, "big.bin");
    writeFileSync(file, randomBytes(1000));
    const done = await run(["put", file, "img/big.png"]);
    expect(done.code, done.stderr).to.equal(0);
    const [asked] = store.api.requests;
    expect(asked?.headers["content-type"]).to.equal("image/png");
    expect(asked?.headers["content-disposition"]).to.equal(
      `attachment; filename="big.bin"; filename*=UTF-8''big.bin`,
    );
    expect(store.objects.get("img/big.png")?.[0]?.contentType).to.equal("image/png");
  });

  it("the Node client's put does the same, and --content-type or contentType still win", async () => {
    const file = join(dir, "photo.bin");
    writeFileSync(file, randomBytes(1000));
    const client = new SignedFileStoreClient({ apiUrl: store.api.url });
    await client.put(file, "img/photo.webp", { stateDir: join(dir, "state") });
    await client.put(file, "img/photo.avif", {
      stateDir: join(dir, "state"),
      contentType: "image/x-test",
      downloadName: "Ü.avif",
    });
    const headers = store.api.requests.map((r) => [
      r.headers["content-type"],
      r.headers["content-disposition"],
    ]);
    expect(headers).to.deep.equal([
      ["image/webp", `attachment; filename="photo.bin"; filename*=UTF-8''photo.bin`],
      ["image/x-test", `attachment; filename="_.avif"; filename*=UTF-8''%C3%9C.avif`],
    ]);
    const cli = await run(["put", file, "img/typed.png", "--content-type", "image/webp"]);
    expect(cli.code).to.equal(0);
    expect(store.api.requests.at(-1)?.headers["content-type"]).to.equal("image/webp");
  });

  it("get verifies the bytes against the store's checksum; one damaged byte fails it, naming both values, and leaves no file", async () => {
    const bytes = randomBytes(3 * MiB);
    await put("g/data.bin", bytes);
    const good = await run(["get", "g/data.bin", join(dir, "good.bin")]);
    expect(good.code, good.stderr).to.equal(0);
    expect(good.stdout).to.equal(
      `downloaded g/data.bin to ${join(dir, "good.bin")}: ${bytes.length} bytes, crc64nvme ${crcOf(bytes)} (verified)\n`,
    );
    const stored = store.objects.get("g/data.bin")?.[0]?.body as Buffer;
    stored[MiB] = (stored[MiB] ?? 0) ^ 1;
    const dest = join(dir, "bad.bin");
    const bad = await run(["get", "g/data.bin", dest]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr.split("\n")[0]).to.equal(
      `sfstore: g/data.bin: the downloaded bytes have CRC64NVME ${crcOf(stored)}, but the store's checksum is ${crcOf(bytes)}; the download was discarded`,
    );
    expect(bad.stderr.split("\n")[1]).to.match(
      /^sfstore: likely cause: the bytes changed on the way from the CDN/,
    );
    expect(existsSync(dest)).to.equal(false);
    expect(existsSync(`${dest}.partial`)).to.equal(false);
  });

  it("rm of a key that holds nothing says so, exits 1 and sends no delete (no delete marker is left)", async () => {
    const missing = await run(["rm", "nothing/here.txt"]);
    expect(missing).to.deep.equal({
      code: 1,
      stdout: "",
      stderr: "sfstore: no object at nothing/here.txt; nothing removed\n",
    });
    expect(calls()).to.deep.equal(["GET /nothing/here.txt"]);
    expect(store.objects.has("nothing/here.txt")).to.equal(false);

    await put("rm/there.txt", Buffer.from("there"));
    store.api.requests.length = 0;
    const several = await run(["rm", "rm/there.txt", "rm/absent.txt"]);
    expect(several.code).to.equal(1);
    expect(several.stdout).to.equal("removed rm/there.txt\n");
    expect(several.stderr).to.equal(
      "sfstore: not removed: rm/absent.txt: NoSuchKey: no object at rm/absent.txt; nothing removed\n" +
        "sfstore: 1 of 2 keys not removed\n" +
        "sfstore: likely cause: nothing is stored under this key: check its spelling (keys are case-sensitive) or whether it was deleted\n",
    );
    expect(JSON.parse(store.api.requests.at(-1)?.body.toString() ?? "")).to.deep.equal({
      keys: ["rm/there.txt"],
    });
    expect(store.objects.has("rm/absent.txt")).to.equal(false);
  });

  it("rm --purge deletes every version and says how many, and the invalidation; several keys in one batch", async () => {
    await put("p/one.txt", Buffer.from("1"));
    await put("p/one.txt", Buffer.from("2"));
    store.api.requests.length = 0;
    const one = await run(["rm", "--purge", "p/one.txt"]);
    expect(one).to.deep.equal({
      code: 0,
      stdout:
        "purged p/one.txt: 2 versions deleted\n1 key purged, 2 versions deleted; CDN invalidation I1 (InProgress, 1 path)\n",
      stderr: "",
    });
    expect(calls()).to.deep.equal(["DELETE /p/one.txt?purge"]);

    await put("p/a.txt", Buffer.from("a"));
    await put("p/b c.txt", Buffer.from("b"));
    store.api.requests.length = 0;
    const many = await run(["rm", "--purge", "p/a.txt", "p/b c.txt", "p/gone.txt", "--json"]);
    expect(many.code).to.equal(0);
    expect(JSON.parse(many.stdout)).to.deep.equal({
      command: "rm",
      purge: true,
      purged: [
        { key: "p/a.txt", deletedVersions: 1 },
        { key: "p/b c.txt", deletedVersions: 1 },
        { key: "p/gone.txt", deletedVersions: 0 },
      ],
      errors: [],
      invalidations: [
        { id: "I2", status: "InProgress", paths: ["/p/a.txt*", "/p/b%20c.txt*", "/p/gone.txt*"] },
      ],
    });
    expect(calls()).to.deep.equal(["POST /?delete&purge"]);
    // Text: a line per key, one that held nothing said as such, then the totals.
    const text = await run(["rm", "--purge", "p/gone.txt", "p/other.txt"]);
    expect(text).to.deep.equal({
      code: 0,
      stdout:
        "purged p/gone.txt: no version was stored; the CDN is told to drop its copies all the same\n" +
        "purged p/other.txt: no version was stored; the CDN is told to drop its copies all the same\n" +
        "2 keys purged, 0 versions deleted; CDN invalidation I3 (InProgress, 2 paths)\n",
      stderr: "",
    });
  });

  it("restore KEY VERSION takes a version ID that begins with '-' as the README writes it; -- works for keys", async () => {
    const restored = await run(["restore", "k/doc.txt", "-abcDEF_123"]);
    expect(restored.stderr).to.equal(
      "sfstore: 404 NoSuchVersion: no version -abcDEF_123 of k/doc.txt\nsfstore: likely cause: no version with that ID is stored for this key (a version ID belongs to one key): sfstore versions KEY lists them\n",
    );
    expect(JSON.parse(store.api.requests.at(-1)?.body.toString() ?? "")).to.deep.equal({
      versionId: "-abcDEF_123",
    });
    writeFileSync(join(dir, "draft.txt"), "draft");
    expect((await run(["put", join(dir, "draft.txt"), "--", "-draft.txt"])).code).to.equal(0);
    const removed = await run(["rm", "--", "-draft.txt"]);
    expect(removed).to.deep.equal({ code: 0, stdout: "removed -draft.txt\n", stderr: "" });
    const getVersion = await run(["get", "--version", "-old", "--", "-draft.txt", join(dir, "v.txt")]);
    expect(getVersion.code).to.equal(1);
    expect(store.api.requests.at(-1)?.target).to.equal("/-draft.txt?versionId=-old");
  });

  it("token asks the development issuer for a token and prints it alone; no issuer is a clear error", async () => {
    const issuer = await fakeServer((req, res) =>
      req.method === "POST" && req.target === "/token"
        ? sendJson(res, 200, {
            token: "eyJ.test.token",
            sub: "alice",
            scope: "read write",
            expiresAt: "2026-01-01T01:00:00Z",
          })
        : sendJson(res, 404, { error: { code: "NotFound", message: "no such route" } }),
    );
    try {
      const got = await sfs(["token", "--sub", "alice", "--scope", "read,write", "--expires", "2h"], {
        SFS_ISSUER_URL: issuer.url,
      });
      expect(got).to.deep.equal({ code: 0, stdout: "eyJ.test.token\n", stderr: "" });
      expect(JSON.parse(issuer.requests[0]?.body.toString() ?? "")).to.deep.equal({
        sub: "alice",
        scope: "read write",
        expiresIn: 7200,
      });
    } finally {
      await issuer.close();
    }
    const port = await closedPort();
    const none = await sfs(["token", "--sub", "alice", "--issuer-url", `http://127.0.0.1:${port}`]);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.equal(
      `sfstore: no development issuer answered at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): start the local stack with npm start -- --auth jwt, or point --issuer-url (SFS_ISSUER_URL) at its issuer\n`,
    );
    const noSub = await sfs(["token"]);
    expect(noSub.code).to.equal(2);
    expect(noSub.stderr.split("\n")[0]).to.match(/^sfstore: --sub names the token's subject/);
  });

  it("a one-line error is followed by a pointer to the help, never by the help itself", async () => {
    for (const args of [["put", "only-one"], ["frobnicate"], ["ls", "--nope"], ["stat", "k", "--expires"]]) {
      const result = await run(args);
      expect(result.code, args.join(" ")).to.equal(2);
      const lines = result.stderr.split("\n");
      expect(lines, args.join(" ")).to.have.length(3);
      expect(lines[1]).to.equal("sfstore: see sfstore --help");
    }
    expect(readFileSync(join(__dirname, "..", "..", "..", "client", "cli", "help.ts"), "utf8")).to.include(
      "sfstore rm --purge",
    );
  });
});
