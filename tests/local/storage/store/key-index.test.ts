import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  INDEX_FILE,
  type KeyIndex,
  loadKeyIndexes,
  writeKeyIndex,
} from "../../../../local/storage/store/key-index";

const marker = (key: string, versionId: string) => ({
  key,
  versionId,
  deleteMarker: true as const,
  lastModified: "2026-11-23T00:00:00.000Z",
});

describe("key index files", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "sfs-key-index-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("loads every key's index and removes what unacknowledged writes left", () => {
    const kept: KeyIndex = { key: "a/b.txt", versions: [marker("a/b.txt", "v2")] };
    mkdirSync(join(root, "k1", "v2"), { recursive: true });
    mkdirSync(join(root, "k1", "orphan-version"));
    writeFileSync(join(root, "k1", "index.json.1a2b.tmp"), "{");
    writeFileSync(join(root, "k1", INDEX_FILE), JSON.stringify(kept));
    mkdirSync(join(root, "k2", "v1"), { recursive: true });
    return loadKeyIndexes(root).then((indexes) => {
      expect([...indexes]).to.deep.equal([["a/b.txt", kept]]);
      expect(readdirSync(root)).to.deep.equal(["k1"]);
      expect(readdirSync(join(root, "k1")).sort()).to.deep.equal([INDEX_FILE, "v2"]);
    });
  });

  it("replaces an index whole, and a failed write leaves the old one and no temp file", async () => {
    const dir = join(root, "k");
    mkdirSync(dir);
    const first: KeyIndex = { key: "k", versions: [marker("k", "v1")] };
    await writeKeyIndex(dir, first);
    const failed = await writeKeyIndex(dir, { key: "k", versions: [] }, () => {
      throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    }).then(
      () => "written",
      (error: Error) => error.message,
    );
    expect(failed).to.equal("no space left on device");
    expect(readdirSync(dir)).to.deep.equal([INDEX_FILE]);
    expect(JSON.parse(readFileSync(join(dir, INDEX_FILE), "utf8"))).to.deep.equal(first);
  });
});
