import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  appendLog,
  LOG_FILE,
  loadKeyDir,
  SNAPSHOT_FILE,
  writeSnapshot,
} from "../../../../local/storage/store/key-log";
import type { VersionEntry } from "../../../../local/storage/store/versions";

const KEY = "a/b.txt";
const marker = (versionId: string): VersionEntry => ({
  key: KEY,
  versionId,
  deleteMarker: true,
  lastModified: "2026-11-23T00:00:00.000Z",
});
const ids = async (dir: string) => (await loadKeyDir(dir))?.history.list().map((v) => v.versionId);
const durable = { durable: true } as const;

describe("key logs on disk", () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), "sfs-key-log-")), "k");
    mkdirSync(dir);
  });
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  it("replays the log over the snapshot, newest first; a change is one appended line", async () => {
    await appendLog(dir, KEY, [{ add: marker("v1") }], true, durable);
    await appendLog(dir, KEY, [{ add: marker("v2") }], false, durable);
    await appendLog(dir, KEY, [{ add: marker("v3") }, { remove: "v1" }], false, durable);
    expect(readFileSync(join(dir, LOG_FILE), "utf8").split("\n")).to.have.length(6);
    expect(await ids(dir)).to.deep.equal(["v3", "v2"]);
    const loaded = await loadKeyDir(dir);
    expect([loaded?.hasLog, loaded?.logRecords, loaded?.history.key]).to.deep.equal([true, 4, KEY]);
  });

  it("a last line cut short by a crash is dropped and the log truncated, so the next line starts on its own", async () => {
    await appendLog(dir, KEY, [{ add: marker("v1") }], true, durable);
    const whole = readFileSync(join(dir, LOG_FILE), "utf8");
    appendFileSync(join(dir, LOG_FILE), '{"add":{"key":"a/b.txt","versionId":"v2","del');
    expect(await ids(dir)).to.deep.equal(["v1"]);
    expect(readFileSync(join(dir, LOG_FILE), "utf8")).to.equal(whole);
    await appendLog(dir, KEY, [{ add: marker("v3") }], false, durable);
    expect(await ids(dir)).to.deep.equal(["v3", "v1"]);
  });

  it("a line that does not parse before the last is corruption, named with its file and line", async () => {
    await appendLog(dir, KEY, [{ add: marker("v1") }], true, durable);
    appendFileSync(join(dir, LOG_FILE), "garbage\n");
    await appendLog(dir, KEY, [{ add: marker("v2") }], false, durable);
    expect(() => loadKeyDir(dir)).to.throw(`${join(dir, LOG_FILE)}: line 3 is not a record`);
  });

  it("a crash after a new snapshot but before its log was dropped replays to the same versions", async () => {
    await appendLog(dir, KEY, [{ add: marker("v1") }, { add: marker("v2") }], true, durable);
    await appendLog(dir, KEY, [{ remove: "v1" }, { add: marker("v3") }], false, durable);
    const log = readFileSync(join(dir, LOG_FILE));
    await writeSnapshot(dir, KEY, [marker("v3"), marker("v2")], durable);
    expect(readdirSync(dir)).to.deep.equal([SNAPSHOT_FILE]);
    writeFileSync(join(dir, LOG_FILE), log);
    expect(await ids(dir)).to.deep.equal(["v3", "v2"]);
  });

  it("a tombstone whose remove line was never written removes its version at start; other strays go", async () => {
    await appendLog(
      dir,
      KEY,
      [{ add: marker("v1") }, { add: marker("v2") }, { add: marker("v3") }],
      true,
      durable,
    );
    mkdirSync(join(dir, "v2.deleted"));
    mkdirSync(join(dir, "gone.deleted"));
    mkdirSync(join(dir, "never-named"));
    writeFileSync(join(dir, "index.json.0a0b.tmp"), "{");
    const loaded = await loadKeyDir(dir);
    expect([loaded?.history.list().map((v) => v.versionId), loaded?.unrecorded]).to.deep.equal([
      ["v3", "v1"],
      ["v2"],
    ]);
    expect(readdirSync(dir).sort()).to.deep.equal([LOG_FILE, "v2.deleted"]);
  });

  it("a key directory with no snapshot and a log whose header was cut short held nothing acknowledged: it goes", async () => {
    writeFileSync(join(dir, LOG_FILE), '{"key":"a/b');
    expect(await loadKeyDir(dir)).to.equal(undefined);
    expect(readdirSync(join(dir, ".."))).to.deep.equal([]);
  });

  it("a failed snapshot write leaves the old snapshot and the log, which say the same", async () => {
    await appendLog(dir, KEY, [{ add: marker("v1") }], true, durable);
    const failed = await writeSnapshot(dir, KEY, [marker("v1")], {
      durable: true,
      fault: () => {
        throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      },
    }).then(
      () => "written",
      (e: Error) => e.message,
    );
    expect([failed, readdirSync(dir), await ids(dir)]).to.deep.equal([
      "no space left on device",
      [LOG_FILE],
      ["v1"],
    ]);
  });
});
