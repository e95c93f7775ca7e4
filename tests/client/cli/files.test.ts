import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { SignedFileStoreClient } from "../../../client/index";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";
import { LOCAL_BUCKET, seedObjects } from "../../support/seed-objects";
import { cliOptions, sfs, storeObjects } from "../../support/sfs-cli";

describe("sfstore ls, cp, mv, rm, versions and restore against the local stack", function () {
  this.timeout(300_000);
  let dir: string;
  let stack: LocalStack;
  /** The function's request log lines, to count the API calls a command made. */
  const requests: Array<{ method?: string; query?: string; status?: number }> = [];
  const keys = Array.from({ length: 5000 }, (_, i) => `many/${i % 7}/k${String(i).padStart(4, "0")}.txt`);
  const neighbours = ["many.txt", "manyother/k.txt", "other/many/k.txt"];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sfs-files-"));
    // Built on disk through the object store before the stack opens it: a request per key would
    // spend the suite's time on a fixture.
    await seedObjects(
      join(dir, "data"),
      LOCAL_BUCKET,
      [...keys, ...neighbours].map((key) => ({ key, contentType: "application/octet-stream" })),
    );
    stack = await startLocalStack({
      dataDir: join(dir, "data"),
      apiPort: 0,
      log: (fields) => {
        if (fields.component === "function" && fields.message === "request") {
          requests.push(fields as (typeof requests)[number]);
        }
      },
    });
  });
  /** The API calls made by `run`, as `METHOD query status`. */
  async function callsOf(run: () => Promise<unknown>): Promise<string[]> {
    const from = requests.length;
    await run();
    return requests.slice(from).map((r) => `${r.method} ${r.query ?? ""} ${r.status}`);
  }
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Human output: only the API's address. */
  const text = () => ["--api-url", stack.apiUrl];
  const json = () => cliOptions(stack.apiUrl, dir);
  const lines = (stdout: string) => stdout.split("\n").slice(0, -1);
  /** The bytes `sfstore get` downloads. */
  async function fetched(key: string, extra: string[] = []): Promise<Buffer> {
    const dest = join(dir, "fetched.bin");
    const got = await sfs(["get", key, dest, ...json(), ...extra]);
    expect(got.code, got.stderr).to.equal(0);
    expect(JSON.parse(got.stdout).size).to.equal(readFileSync(dest).length);
    return readFileSync(dest);
  }

  describe("over 5,000 keys", () => {
    const sorted = [...keys].sort();

    it("ls -r prints exactly 5,000 lines in key order, following every page", async () => {
      let listed = { code: -1, stdout: "", stderr: "" };
      const calls = await callsOf(async () => {
        listed = await sfs(["ls", "-r", "many/", ...text()]);
      });
      expect(calls.map((c) => c.replace(/after=\S+/, "after=T"))).to.deep.equal([
        "GET recursive 200",
        "GET recursive&after=T 200",
        "GET recursive&after=T 200",
        "GET recursive&after=T 200",
        "GET recursive&after=T 200",
      ]);
      expect(listed.stderr).to.equal("");
      expect(listed.code).to.equal(0);
      const printed = lines(listed.stdout);
      expect(printed).to.have.length(5000);
      expect(printed).to.deep.equal(sorted);
      // Without the trailing slash it is the same prefix.
      expect((await sfs(["ls", "many", "--recursive", ...text()])).stdout).to.equal(listed.stdout);

      const doc = JSON.parse((await sfs(["ls", "many", "-r", ...json()])).stdout);
      expect(Object.keys(doc)).to.deep.equal(["prefix", "objects", "prefixes"]);
      expect(doc.prefix).to.equal("many/");
      expect(doc.prefixes).to.deep.equal([]);
      expect(doc.objects.map((o: { key: string }) => o.key)).to.deep.equal(sorted);
      // The listing's checksum field is the storage's to give (checksums.e2e.test.ts); the rest is fixed.
      expect(Object.keys(doc.objects[0]).filter((k) => k !== "checksum")).to.deep.equal([
        "key",
        "size",
        "etag",
        "lastModified",
      ]);
      expect(doc.objects[0].size).to.equal(Buffer.byteLength(sorted[0] ?? ""));

      const oneLevel = await sfs(["ls", "many", ...text()]);
      expect(oneLevel.stdout).to.equal(
        "PRE many/0/\nPRE many/1/\nPRE many/2/\nPRE many/3/\nPRE many/4/\nPRE many/5/\nPRE many/6/\n",
      );
    });

    it("the library's list pages as the API does: 1000 to a page, the last without a next token", async () => {
      const client = new SignedFileStoreClient({ apiUrl: stack.apiUrl });
      const pages: Array<{ size: number; next: string | null }> = [];
      for await (const page of client.list("many/", { recursive: true })) {
        pages.push({ size: page.objects.length, next: page.next });
      }
      expect(pages.map((p) => p.size)).to.deep.equal([1000, 1000, 1000, 1000, 1000]);
      expect(pages.map((p) => p.next === null)).to.deep.equal([false, false, false, false, true]);
      const objects: string[] = [];
      for await (const object of client.listObjects("many/3/")) objects.push(object.key);
      expect(objects).to.deep.equal(sorted.filter((key) => key.startsWith("many/3/")));
    });

    it("rm -r --yes removes exactly the 5,000 keys under the prefix, in batches of 1000, and nothing else", async () => {
      let removed = { code: -1, stdout: "", stderr: "" };
      const calls = await callsOf(async () => {
        removed = await sfs(["rm", "-r", "many/", "--yes", ...text()]);
      });
      expect(calls.filter((c) => c.startsWith("POST"))).to.deep.equal(Array(5).fill("POST delete 200"));
      expect(removed.stderr).to.equal("");
      expect(removed.code).to.equal(0);
      expect(lines(removed.stdout)).to.deep.equal(sorted.map((key) => `removed ${key}`));
      expect((await sfs(["ls", "-r", "many/", ...text()])).stdout).to.equal("");
      const left = lines((await sfs(["ls", "-r", ...text()])).stdout);
      expect(left.filter((key) => key.includes("many"))).to.deep.equal(neighbours);
    });
  });

  it("ls shows one level, prefixes as PRE lines in key order; -l adds size and UTC date", async () => {
    await storeObjects(stack.apiUrl, [
      ["level/a.txt", "a"],
      ["level/b/c.txt", "cc"],
      ["level/b/d/e.txt", "eee"],
      ["level/ü y.txt", "0123456789"],
    ]);
    const short = await sfs(["ls", "level/", ...text()]);
    expect(short.stdout).to.equal("level/a.txt\nPRE level/b/\nlevel/ü y.txt\n");
    expect(short.code).to.equal(0);

    const doc = JSON.parse((await sfs(["ls", "level", ...json()])).stdout);
    expect(doc.prefixes).to.deep.equal(["level/b/"]);
    const date = (key: string) => {
      const found = doc.objects.find((o: { key: string }) => o.key === key);
      return `${new Date(found.lastModified).toISOString().slice(0, 19)}Z`;
    };
    const long = await sfs(["ls", "-l", "level", ...text()]);
    expect(long.stdout).to.equal(
      `           1  ${date("level/a.txt")}  level/a.txt\n` +
        "         PRE                        level/b/\n" +
        `          10  ${date("level/ü y.txt")}  level/ü y.txt\n`,
    );
    expect(date("level/a.txt")).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(
      lines((await sfs(["ls", "-rl", "level", ...text()])).stdout).map((l) => l.slice(0, 12)),
    ).to.deep.equal(["           1", "           2", "           3", "          10"]);

    expect((await sfs(["ls", "nothing/here/", ...text()])).stdout).to.equal("");
    const dots = await sfs(["ls", "level/../secret", ...text()]);
    expect(dots.code).to.equal(2);
    expect(dots.stdout).to.equal("");
  });

  it("cp and mv copy inside the store byte for byte; mv leaves no source; cp --version copies that version", async () => {
    const one = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    const two = Buffer.from("second version");
    const file = join(dir, "cp-src.bin");
    writeFileSync(file, one);
    expect((await sfs(["put", file, "rt/src.bin", ...json()])).code).to.equal(0);

    const copied = await sfs(["cp", "rt/src.bin", "rt/copy.bin", ...text()]);
    expect(copied.stderr).to.equal("");
    expect(copied.stdout).to.match(
      /^copied rt\/src\.bin to rt\/copy\.bin: 3145733 bytes, version [\w.-]+\n$/,
    );
    expect((await fetched("rt/copy.bin")).equals(one)).to.equal(true);

    const moved = await sfs(["mv", "rt/copy.bin", "rt/moved dir/", ...json()]);
    expect(moved.code, moved.stderr).to.equal(0);
    const movedDoc = JSON.parse(moved.stdout);
    expect(movedDoc).to.include({
      command: "mv",
      source: "rt/copy.bin",
      key: "rt/moved dir/copy.bin",
      size: one.length,
    });
    expect((await fetched("rt/moved dir/copy.bin")).equals(one)).to.equal(true);
    const gone = await sfs(["stat", "rt/copy.bin", ...text()]);
    expect(gone.code).to.equal(1);
    expect(gone.stderr.split("\n")[0]).to.equal("sfstore: 404 NoSuchKey: no object at rt/copy.bin");

    const first = JSON.parse((await sfs(["stat", "rt/src.bin", ...json()])).stdout).versionId as string;
    writeFileSync(file, two);
    expect((await sfs(["put", file, "rt/src.bin", ...json()])).code).to.equal(0);
    const old = await sfs(["cp", "rt/src.bin", "rt/old.bin", "--version", first, ...json()]);
    expect(JSON.parse(old.stdout)).to.include({ command: "cp", sourceVersionId: first, key: "rt/old.bin" });
    expect((await fetched("rt/old.bin")).equals(one)).to.equal(true);
    expect((await fetched("rt/src.bin")).equals(two)).to.equal(true);

    const missing = await sfs(["cp", "rt/none.bin", "rt/x.bin", ...text()]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr.split("\n")[0]).to.equal("sfstore: 404 NoSuchKey: no object at rt/none.bin");
    const same = await sfs(["mv", "rt/src.bin", "rt/src.bin", ...text()]);
    expect(same.stderr).to.equal(
      "sfstore: 400 InvalidMove: a move needs a destination other than the source\n" +
        "sfstore: likely cause: a move needs a destination other than its source: name another DEST\n",
    );
    expect((await sfs(["cp", "rt/src.bin", "rt/../elsewhere", ...text()])).code).to.equal(2);
  });

  it("rm of several keys deletes them in one batch; a bad key among them exits 2 before any is deleted", async () => {
    await storeObjects(stack.apiUrl, [
      ["multi/a", "a"],
      ["multi/b c", "b"],
      ["multi/d", "d"],
    ]);
    const refused = await sfs(["rm", "multi/a", "multi/../d", ...text()]);
    expect(refused.code).to.equal(2);
    expect(lines((await sfs(["ls", "multi/", ...text()])).stdout)).to.deep.equal([
      "multi/a",
      "multi/b c",
      "multi/d",
    ]);

    const removed = await sfs(["rm", "multi/a", "multi/b c", ...text()]);
    expect(removed.stderr).to.equal("");
    expect(removed.code).to.equal(0);
    expect(removed.stdout).to.equal("removed multi/a\nremoved multi/b c\n");
    expect((await sfs(["ls", "multi/", ...text()])).stdout).to.equal("multi/d\n");
    // A key that holds nothing is not deleted (which would leave a delete marker) but reported.
    const doc = await sfs(["rm", "multi/d", "multi/never", ...json()]);
    expect(doc.code).to.equal(1);
    expect(JSON.parse(doc.stdout)).to.deep.equal({
      command: "rm",
      deleted: ["multi/d"],
      errors: [
        { key: "multi/never", code: "NoSuchKey", message: "no object at multi/never; nothing removed" },
      ],
    });
    const never = await fetch(`${stack.apiUrl}/multi/never?versions`, {
      headers: { accept: "application/json" },
    });
    expect(((await never.json()) as { versions: unknown[] }).versions).to.deep.equal([]);
  });

  it("versions lists newest first with delete markers; restore brings the bytes back; get --version reads one", async () => {
    const file = join(dir, "versioned.txt");
    const bodies = ["first body", "the second body"];
    for (const body of bodies) {
      writeFileSync(file, body);
      expect((await sfs(["put", file, "ver/doc.txt", ...json()])).code).to.equal(0);
    }
    expect((await sfs(["rm", "ver/doc.txt", ...json()])).code).to.equal(0);
    const listed = JSON.parse((await sfs(["versions", "ver/doc.txt", ...json()])).stdout);
    expect(listed.key).to.equal("ver/doc.txt");
    const v = listed.versions as Array<{ versionId: string; lastModified: string }>;
    expect(v).to.have.length(3);
    const at = (i: number) => `${new Date(v[i]?.lastModified ?? "").toISOString().slice(0, 19)}Z`;
    const shown = await sfs(["versions", "ver/doc.txt", ...text()]);
    expect(shown.stdout).to.equal(
      `     deleted  ${at(0)}  ${v[0]?.versionId}  (current)\n` +
        `          15  ${at(1)}  ${v[1]?.versionId}\n` +
        `          10  ${at(2)}  ${v[2]?.versionId}\n`,
    );
    const first = v[2]?.versionId ?? "";

    const restored = await sfs(["restore", "ver/doc.txt", first, ...text()]);
    expect(restored.stderr).to.equal("");
    const now = /^restored ver\/doc\.txt from version (\S+): 10 bytes, version (\S+)\n$/.exec(
      restored.stdout,
    );
    expect(now?.[1]).to.equal(first);
    expect(now?.[2]).to.not.equal(first);
    expect((await fetched("ver/doc.txt")).toString()).to.equal(bodies[0]);
    expect((await fetched("ver/doc.txt", ["--version", v[1]?.versionId ?? ""])).toString()).to.equal(
      bodies[1],
    );
    const after = JSON.parse((await sfs(["versions", "ver/doc.txt", ...json()])).stdout);
    expect(
      after.versions.map((x: { versionId: string; isLatest: boolean }) => [x.versionId, x.isLatest]),
    ).to.deep.equal([
      [now?.[2], true],
      [v[0]?.versionId, false],
      [v[1]?.versionId, false],
      [first, false],
    ]);

    const foreign = await sfs(["restore", "ver/doc.txt", "nope", ...text()]);
    expect(foreign.code).to.equal(1);
    expect(foreign.stderr).to.equal(
      'sfstore: 400 InvalidVersionId: "nope" is not a version ID of this store\n' +
        "sfstore: likely cause: a version ID is one that sfstore versions KEY prints: copy it from there whole\n",
    );
    const none = await sfs(["versions", "ver/never.txt", ...text()]);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.equal('sfstore: no version of "ver/never.txt" is stored\n');
  });
});
