import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { brokenLink, isExternal, links } from "./markdown";

const ROOT = path.resolve(__dirname, "../..");
const README_MAX_LINES = 300;

/** README.md and every page under docs/, as repository paths. */
function documents(): string[] {
  const pages = readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...pages];
}

describe("docs: README.md and docs/", () => {
  it("README.md is a front page of at most 300 lines", () => {
    const lines = readFileSync(path.join(ROOT, "README.md"), "utf8").replace(/\n$/, "").split("\n");
    expect(lines.length).to.be.at.most(README_MAX_LINES);
  });

  it("the docs are the pages the README's map names, and each is on the map", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const mapped = links(readme)
      .map((l) => l.target)
      .filter((t) => /^docs\/[^/#]+\.md$/.test(t));
    expect([...new Set(mapped)].sort()).to.deep.equal(documents().filter((d) => d !== "README.md"));
  });

  it("every relative link resolves to a file, and every anchor to a heading of its page", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const doc of documents()) {
      const file = path.join(ROOT, doc);
      for (const link of links(readFileSync(file, "utf8"))) {
        if (isExternal(link.target)) continue;
        checked += 1;
        const why = brokenLink(file, link.target);
        if (why) broken.push(`${doc}:${link.line + 1}: ${link.target}: ${why}`);
      }
    }
    expect(broken).to.deep.equal([]);
    // The pages link to one another throughout; a reader that found none would check nothing.
    expect(checked).to.be.above(50);
  });
});
