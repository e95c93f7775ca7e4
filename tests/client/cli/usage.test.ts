import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { rawPathOf, send } from "../../../client/http";
import { SignedFileStoreClient } from "../../../client/index";
import { sfs } from "../../support/sfs-cli";
import { closedPort, type FakeServer, fakeServer, sendJson } from "../fake-server";

const ROOT = join(__dirname, "..", "..", "..");
const seeHelp = "sfstore: see sfstore --help\n";

describe("sfstore command line: keys, options and paths", function () {
  this.timeout(180_000);
  let dir: string;
  let api: FakeServer;
  let storage: FakeServer;
  const stored = new Map<string, Buffer>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-usage-"));
    storage = await fakeServer((req, res) => {
      if (req.method === "PUT") {
        stored.set(req.target, req.body);
        return void res.writeHead(200, { etag: '"x"' }).end();
      }
      if (req.method === "DELETE") return void res.writeHead(204).end();
      const body = stored.get(req.target);
      if (!body) return void res.writeHead(404).end("<Error><Code>NoSuchKey</Code></Error>");
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
    // Instructions for whole-object transfers, each to the same path on the fake storage.
    api = await fakeServer((req, res) =>
      sendJson(res, 200, {
        method: req.method,
        url: `${storage.url}${req.target}`,
        headers: {},
        expiresAt: "2026-01-01T00:00:00.000Z",
      }),
    );
  });
  after(async () => {
    await api.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    api.requests.length = 0;
    storage.requests.length = 0;
    stored.clear();
  });

  it("refuses a key with a . or .. segment with exit 2 and sends nothing, so rm never removes another key", async () => {
    const file = join(dir, "c.bin");
    writeFileSync(file, "c");
    const cases: Array<[string[], string, string]> = [
      [["rm", "alice/../victim"], "alice/../victim", ".."],
      [["put", file, "a/../b"], "a/../b", ".."],
      [["get", "./x", join(dir, "x")], "./x", "."],
      [["share", "a/./b"], "a/./b", "."],
      [["stat", ".."], "..", ".."],
    ];
    for (const [args, key, segment] of cases) {
      const result = await sfs([...args, "--api-url", api.url]);
      expect(result.code, args.join(" ")).to.equal(2);
      expect(result.stderr).to.equal(
        `sfstore: invalid key ${JSON.stringify(key)}: a "${segment}" segment would make a URL name another key, so keys with "." or ".." segments are refused\n${seeHelp}`,
      );
      expect(result.stdout).to.equal("");
    }
    expect(api.requests).to.deep.equal([]);
  });

  it("rm of a prefix without -r says to use -r, exit 2, and sends nothing", async () => {
    for (const args of [
      ["rm", "photos/"],
      ["rm", "a.txt", "photos/2026/"],
    ]) {
      const result = await sfs([...args, "--api-url", api.url]);
      const prefix = args[args.length - 1] as string;
      expect(result).to.deep.equal({
        code: 2,
        stdout: "",
        stderr: `sfstore: "${prefix}" names a prefix, not a key: sfstore rm -r ${prefix} removes every key under it\n${seeHelp}`,
      });
    }
    expect(api.requests).to.deep.equal([]);
  });

  it("--version alone prints the package's version; an unknown option is named, exit 2", async () => {
    const { version } = JSON.parse(
      readFileSync(join(ROOT, "packages", "client", "package.json"), "utf8"),
    ) as { version: string };
    expect(await sfs(["--version"])).to.deep.equal({ code: 0, stdout: `sfstore ${version}\n`, stderr: "" });
    const unknown = await sfs(["ls", "--bogus", "--api-url", api.url]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stdout).to.equal("");
    // One line and a pointer to the help, not the help itself.
    expect(unknown.stderr).to.equal(
      'sfstore: unknown option --bogus (a key or version ID that begins with "-" goes after "--")\nsfstore: see sfstore --help\n',
    );
    expect(api.requests).to.deep.equal([]);
  });

  it("sends a key on the wire as it was written, each segment percent-encoded once", async () => {
    const client = new SignedFileStoreClient({ apiUrl: `${api.url}/`, auth: { kind: "none" } });
    await client.remove("dir/a b+c%d#e?f=g/ü.txt");
    await client.remove("a/%2e%2e/b");
    expect(api.requests.map((r) => `${r.method} ${r.target}`)).to.deep.equal([
      "DELETE /dir/a%20b%2Bc%25d%23e%3Ff%3Dg/%C3%BC.txt",
      "DELETE /a/%252e%252e/b",
    ]);
    expect(storage.requests.map((r) => `${r.method} ${r.target}`)).to.deep.equal([
      "DELETE /dir/a%20b%2Bc%25d%23e%3Ff%3Dg/%C3%BC.txt",
      "DELETE /a/%252e%252e/b",
    ]);
    await client.remove("alice/../victim").then(
      () => expect.fail("should have been refused"),
      (error: Error) =>
        expect(error.message).to.equal(
          'invalid key "alice/../victim": a ".." segment would make a URL name another key, so keys with "." or ".." segments are refused',
        ),
    );
    expect(api.requests).to.have.length(2);
    // The transport sends the path it is given, dot segments and all; only the key check stands
    // between a key and a path that names another object.
    const raw = await send({ method: "GET", url: `${api.url}/a/../%2e%2e/./b?x=1` });
    raw.body.resume();
    expect(api.requests.at(-1)?.target).to.equal("/a/../%2e%2e/./b?x=1");
    expect(rawPathOf("http://h:1/a/../%2e%2e/b?x=1#frag")).to.equal("/a/../%2e%2e/b?x=1");
    expect(rawPathOf("https://h")).to.equal("/");
  });

  it("exits 2 for an --api-url that is not an http(s) URL, from the flag or SFS_API_URL", async () => {
    const bad = await sfs(["stat", "k", "--api-url", "not-a-url"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal(
      `sfstore: --api-url (or SFS_API_URL) must be the API's http(s) URL, like http://127.0.0.1:3000; got "not-a-url"\n${seeHelp}`,
    );
    const json = await sfs(["stat", "k", "--api-url", "not-a-url", "--json"]);
    expect(json.code).to.equal(2);
    expect(json.stdout).to.equal(
      `${JSON.stringify({
        error: {
          code: "UsageError",
          message: `--api-url (or SFS_API_URL) must be the API's http(s) URL, like http://127.0.0.1:3000; got "not-a-url"`,
        },
      })}\n`,
    );
    const fromEnv = await sfs(["rm", "k"], { SFS_API_URL: "ftp://127.0.0.1/" });
    expect(fromEnv.code).to.equal(2);
    expect(fromEnv.stderr.split("\n")[0]).to.equal(
      `sfstore: --api-url (or SFS_API_URL) must be the API's http(s) URL, like http://127.0.0.1:3000; got "ftp://127.0.0.1/"`,
    );
  });

  it("exits 2 for a --part-size S3 would refuse, before reading the file", async () => {
    for (const size of ["1000", "4MiB", "6GiB"]) {
      const bad = await sfs(["put", join(dir, "absent.bin"), "k", "--part-size", size, "--api-url", api.url]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.equal(
        `sfstore: --part-size must be from 5MiB (5242880) to 5GiB (5368709120) bytes, S3's limits for a part; got "${size}"\n${seeHelp}`,
      );
    }
    expect(api.requests).to.deep.equal([]);
  });

  it("says at once that a stopped API is unreachable, and at which URL", async () => {
    const port = await closedPort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const result = await sfs(["rm", "k", "--api-url", apiUrl]);
    expect(result.code).to.equal(1);
    // The exact stderr holds no "trying again" line: the refusal was said at once, without retries.
    const hint =
      "nothing listens there: start the local stack (npm start), or point --api-url (SFS_API_URL) at a deployment's function URL (pulumi stack output apiUrl)";
    expect(result.stderr).to.equal(
      `sfstore: the API at ${apiUrl} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}\nsfstore: likely cause: ${hint}\n`,
    );
    const json = await sfs(["stat", "k", "--api-url", apiUrl, "--json"]);
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      error: {
        code: "ApiUnreachable",
        message: `the API at ${apiUrl} is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`,
        hint,
      },
    });
    expect(json.stdout.endsWith("}\n")).to.equal(true);
    expect(json.stdout.split("\n")).to.have.length(2);
  });

  it("reads and writes paths relative to the directory sfstore was started from", async () => {
    const work = join(dir, "work");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "small.txt"), "from work");
    const put = await sfs(
      ["put", "small.txt", "docs/small.txt", "--api-url", api.url, "--no-progress"],
      {},
      { cwd: work },
    );
    expect(put.code, put.stderr).to.equal(0);
    expect(put.stdout).to.match(
      /^uploaded small\.txt to docs\/small\.txt: 9 bytes in 1 part\(s\), crc64nvme [A-Za-z0-9+/]{11}=\n$/,
    );
    expect(stored.get("/docs/small.txt")?.toString()).to.equal("from work");

    // `npm run sfs` starts the script in the package's root and names the user's directory in INIT_CWD.
    const npmEnv = { npm_lifecycle_event: "sfs", INIT_CWD: work };
    const got = await sfs(["get", "docs/small.txt", "--api-url", api.url, "--no-progress"], npmEnv, {
      cwd: ROOT,
    });
    expect(got.code, got.stderr).to.equal(0);
    expect(readFileSync(join(work, "small.txt"), "utf8")).to.equal("from work");
    writeFileSync(join(work, "other.txt"), "other");
    const put2 = await sfs(["put", "other.txt", "docs/other.txt", "--api-url", api.url], npmEnv, {
      cwd: ROOT,
    });
    expect(put2.code, put2.stderr).to.equal(0);
    expect(stored.get("/docs/other.txt")?.toString()).to.equal("other");
  });

  it("put of a file that is not there names the argument and the directory it was looked for in", async () => {
    const result = await sfs(["put", "absent.txt", "k", "--api-url", api.url], {}, { cwd: dir });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`sfstore: cannot upload "absent.txt": no such file (in ${dir})\n`);
    expect(api.requests).to.deep.equal([]);
  });

  it("through `npm run -s sfs` from another directory: relative paths and one JSON document on stdout", async () => {
    const work = join(dir, "npm-work");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "npm.txt"), "through npm");
    const { stdout } = await promisify(execFile)(
      "npm",
      [
        "run",
        "-s",
        "--prefix",
        ROOT,
        "sfs",
        "--",
        "put",
        "npm.txt",
        "docs/npm.txt",
        "--api-url",
        api.url,
        "--json",
      ],
      { cwd: work },
    );
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).to.include({ command: "put", key: "docs/npm.txt", size: 11, parts: 1 });
    expect(stored.get("/docs/npm.txt")?.toString()).to.equal("through npm");
  });
});
