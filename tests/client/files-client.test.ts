import { expect } from "chai";
import { InvalidKeyError, SignedFileStoreClient } from "../../client/index";
import { sfs } from "../support/sfs-cli";
import { type FakeServer, fakeServer, sendJson } from "./fake-server";

/** Three listing pages and two version pages, chained by tokens that need percent-encoding. */
const LIST_PAGES: Record<string, unknown> = {
  "": {
    prefix: "a b/",
    objects: [{ key: "a b/1", size: 1, etag: '"e1"', lastModified: "2026-01-02T03:04:05.678Z" }],
    prefixes: ["a b/c/"],
    next: "t+1/=",
  },
  "t+1/=": {
    prefix: "a b/",
    objects: [{ key: "a b/2", size: 2, etag: '"e2"', lastModified: "2026-01-02T03:04:05.678Z" }],
    prefixes: [],
    next: "t 2",
  },
  "t 2": { prefix: "a b/", objects: [], prefixes: ["a b/z/"], next: null },
};
const VERSION_PAGES: Record<string, unknown> = {
  "": {
    key: "k",
    versions: [
      { versionId: "v3", lastModified: "2026-01-03T00:00:00.000Z", isLatest: true, deleteMarker: true },
    ],
    next: "v3",
  },
  v3: {
    key: "k",
    versions: [
      {
        versionId: "v2",
        size: 9,
        etag: '"e"',
        lastModified: "2026-01-02T00:00:00.000Z",
        isLatest: false,
        deleteMarker: false,
      },
    ],
    next: null,
  },
};

describe("the client library's file calls, request by request", function () {
  // A safety net only: the last test starts sfstore ten times, which a loaded machine makes slow.
  this.timeout(180_000);
  let api: FakeServer;
  let client: SignedFileStoreClient;
  before(async () => {
    api = await fakeServer((req, res) => {
      const url = new URL(req.target, "http://x");
      const after = url.searchParams.get("after") ?? "";
      if (req.method === "GET" && url.pathname.endsWith("/")) return sendJson(res, 200, LIST_PAGES[after]);
      if (req.method === "GET" && url.searchParams.has("versions"))
        return sendJson(res, 200, VERSION_PAGES[after]);
      if (req.method === "POST" && url.searchParams.has("delete")) {
        const { keys } = JSON.parse(req.body.toString()) as { keys: string[] };
        return sendJson(res, 200, {
          deleted: keys.filter((k) => !k.startsWith("deny/")),
          errors: keys
            .filter((k) => k.startsWith("deny/"))
            .map((key) => ({ key, code: "Forbidden", message: "no" })),
        });
      }
      sendJson(res, 200, { key: "made", etag: '"e"', size: 5, versionId: "new" });
    });
    client = new SignedFileStoreClient({ apiUrl: api.url });
  });
  beforeEach(() => {
    api.requests.length = 0;
  });
  after(() => api.close());
  const sent = () => api.requests.map((r) => `${r.method} ${r.target}`);

  it("list follows next to the last page, sending recursive, limit and after encoded once", async () => {
    const pages = [];
    for await (const page of client.list("a b/", { recursive: true, pageSize: 2 })) pages.push(page);
    expect(pages).to.deep.equal(Object.values(LIST_PAGES));
    expect(sent()).to.deep.equal([
      "GET /a%20b/?recursive&limit=2",
      "GET /a%20b/?recursive&limit=2&after=t%2B1%2F%3D",
      "GET /a%20b/?recursive&limit=2&after=t%202",
    ]);
    expect(api.requests[0]?.headers.accept).to.equal("application/json");
    const keys = [];
    for await (const object of client.listObjects("")) keys.push(object.key);
    expect(keys).to.deep.equal(["a b/1", "a b/2"]);
    expect(sent().slice(3, 4)).to.deep.equal(["GET /?recursive"]);
  });

  it("copy names its source in Copy-Source, each segment encoded once, with the version asked for", async () => {
    const made = await client.copy("src/a b+c%d#e?f ü.txt", "dst/x.txt", { versionId: "v+1" });
    expect(made).to.deep.equal({ key: "made", etag: '"e"', size: 5, versionId: "new" });
    expect(sent()).to.deep.equal(["PUT /dst/x.txt"]);
    expect(api.requests[0]?.headers["copy-source"]).to.equal(
      "/src/a%20b%2Bc%25d%23e%3Ff%20%C3%BC.txt?versionId=v%2B1",
    );
    expect(api.requests[0]?.body.length).to.equal(0);
  });

  it("move and restore post their JSON bodies to the key", async () => {
    await client.move("from/a b", "to/c d");
    await client.restore("k/e", "v 1");
    expect(sent()).to.deep.equal(["POST /from/a%20b?move", "POST /k/e?restore"]);
    expect(api.requests.map((r) => [r.headers["content-type"], r.body.toString()])).to.deep.equal([
      ["application/json", '{"to":"to/c d"}'],
      ["application/json", '{"versionId":"v 1"}'],
    ]);
  });

  it("deleteMany sends 2,500 keys as 1000, 1000 and 500, and gathers what each batch deleted and refused", async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => (i % 1000 === 999 ? `deny/${i}` : `ok/${i}`));
    const out = await client.deleteMany(keys);
    expect(sent()).to.deep.equal(["POST /?delete", "POST /?delete", "POST /?delete"]);
    expect(api.requests.map((r) => JSON.parse(r.body.toString()).keys.length)).to.deep.equal([
      1000, 1000, 500,
    ]);
    expect(out.deleted).to.deep.equal(keys.filter((k) => k.startsWith("ok/")));
    expect(out.errors).to.deep.equal([
      { key: "deny/999", code: "Forbidden", message: "no" },
      { key: "deny/1999", code: "Forbidden", message: "no" },
    ]);
    expect(await client.deleteMany([])).to.deep.equal({ deleted: [], errors: [] });
    expect(api.requests).to.have.length(3);
  });

  it("versions follows next across pages, newest first", async () => {
    const seen = [];
    for await (const version of client.versions("k")) seen.push(version.versionId);
    expect(seen).to.deep.equal(["v3", "v2"]);
    expect(sent()).to.deep.equal(["GET /k?versions", "GET /k?versions&after=v3"]);
  });

  it("refuses dot segments and prefixes without their slash before any request", async () => {
    const refusals = [
      () => client.copy("a/../b", "c"),
      () => client.copy("a", "c/./d"),
      () => client.move("a", "b/../c"),
      () => client.restore("..", "v"),
      () => client.list("a/../b/").next(),
      () => client.list("photos").next(),
      () => client.versions("a/..").next(),
    ];
    for (const refuse of refusals) {
      const error = await refuse().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, String(refuse)).to.be.instanceOf(InvalidKeyError);
    }
    expect(api.requests).to.deep.equal([]);
  });

  it("sfstore refuses a wrong command line with exit 2 and no request", async () => {
    const usage = async (args: string[], line: string) => {
      const run = await sfs([...args, "--api-url", api.url]);
      expect(run.code, args.join(" ")).to.equal(2);
      expect(run.stderr.split("\n")[0], args.join(" ")).to.equal(line);
    };
    await usage(["ls", "a", "b"], "sfstore: usage: sfstore ls [PREFIX] [-r] [-l]");
    await usage(["cp", "a"], "sfstore: usage: sfstore cp SRC DEST [--version V]");
    await usage(["mv", "a", "b", "c"], "sfstore: usage: sfstore mv SRC DEST");
    await usage(
      ["rm"],
      "sfstore: usage: sfstore rm [--purge] KEY... or sfstore rm -r [--purge] PREFIX [--yes]",
    );
    await usage(
      ["rm", "-r", "a", "b", "--yes"],
      "sfstore: usage: sfstore rm [--purge] KEY... or sfstore rm -r [--purge] PREFIX [--yes]",
    );
    await usage(["versions"], "sfstore: usage: sfstore versions KEY");
    await usage(["restore", "k"], "sfstore: usage: sfstore restore KEY VERSION");
    await usage(
      ["get", "k", "f", "--version", ""],
      "sfstore: --version must be a version ID (sfstore versions KEY lists them)",
    );
    await usage(
      ["mv", "a", "b/../c"],
      'sfstore: invalid key "b/../c": a ".." segment would make a URL name another key, so keys with "." or ".." segments are refused',
    );
    await usage(
      ["frobnicate"],
      'sfstore: unknown command "frobnicate"; use put, get, share, stat, ls, cp, mv, rm, versions, restore or token',
    );
    expect(api.requests).to.deep.equal([]);
  });
});
