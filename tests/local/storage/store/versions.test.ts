import { expect } from "chai";
import { compareKeys, isVersionId, newVersionId } from "../../../../local/storage/store/versions";

describe("version IDs and key order", () => {
  it("new version IDs look like S3's: 32 characters of letters, digits, '.' and '_', never beginning with '-' (10,000 made)", () => {
    const ids = Array.from({ length: 10_000 }, () => newVersionId());
    const shapes = new Set(ids.map((id) => /^[A-Za-z0-9][A-Za-z0-9._]{31}$/.test(id)));
    const firsts = new Set(ids.map((id) => id[0]));
    expect([...shapes]).to.deep.equal([true]);
    expect(new Set(ids).size).to.equal(ids.length);
    // Every allowed character shows up somewhere, and every letter or digit as a first character.
    expect(new Set(ids.join("")).size).to.equal(64);
    expect(firsts.size).to.equal(62);
    expect(ids.every(isVersionId)).to.equal(true);
  });

  it("IDs made before (base64url, '-' included, even first) and S3's 'null' stay valid; others are not", () => {
    for (const id of ["-3HL4kqtJlcpXroDTDmJ_rmSpXd3dIbr", "abc-def_ghi-jkl_mno-pqr_stu-vwx_", "null"]) {
      expect(isVersionId(id), id).to.equal(true);
    }
    for (const id of ["", "short", `${"a".repeat(32)}b`, "a/b".padEnd(32, "c"), "a+b".padEnd(32, "c")]) {
      expect(isVersionId(id), id).to.equal(false);
    }
  });

  it("keys compare in UTF-8 byte order, as S3 lists them, across surrogates and U+E000 to U+FFFF", () => {
    const pieces = [
      "a",
      "Z",
      "é",
      "\uD7FF",
      "\uE000",
      "\uFF5E",
      "\uFFFF",
      "\u{10000}",
      "\u{1F600}",
      "\u{10FFFF}",
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const make = () =>
      Array.from(
        { length: Math.floor(random() * 4) },
        () => pieces[Math.floor(random() * pieces.length)],
      ).join("");
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
    let compared = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const a = make();
      const b = make();
      expect(Math.sign(compareKeys(a, b)), JSON.stringify([a, b])).to.equal(Math.sign(byBytes(a, b)));
      compared += 1;
    }
    expect(compared).to.equal(20_000);
    expect(["\u{1F600}", "\uFF5E", "a", "Z"].sort(compareKeys)).to.deep.equal([
      "Z",
      "a",
      "\uFF5E",
      "\u{1F600}",
    ]);
  });
});
