import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { anchors, blocksUnder, brokenLink, headings, links, shellCommands, slug } from "./markdown";

describe("docs: the Markdown reader the doc checks use", () => {
  it("gives headings GitHub's anchors", () => {
    expect(slug("Multipart in S3's XML, for S3 clients such as Uppy")).to.equal(
      "multipart-in-s3s-xml-for-s3-clients-such-as-uppy",
    );
    expect(slug("Files: list, copy, move, delete many, versions")).to.equal(
      "files-list-copy-move-delete-many-versions",
    );
    expect(slug("From Python, Go, .NET and YAML")).to.equal("from-python-go-net-and-yaml");
    expect(slug("The `sfs` command")).to.equal("the-sfs-command");
    expect(slug("IAM callers (`authMode: iam`)")).to.equal("iam-callers-authmode-iam");
    expect(slug("The 6 MB limit")).to.equal("the-6-mb-limit");
    expect(slug("snake_case and Ünïcode — dash")).to.equal("snake_case-and-ünïcode--dash");
    expect(slug("See [the API](docs/http-api.md)")).to.equal("see-the-api");
  });

  it("numbers repeated headings as GitHub does, and ignores headings inside code", () => {
    const doc = ["# Title", "## Usage", "```sh", "# not a heading", "```", "## Usage", "## Usage"].join("\n");
    expect(headings(doc).map((h) => h.text)).to.deep.equal(["Title", "Usage", "Usage", "Usage"]);
    expect([...anchors(doc)]).to.deep.equal(["title", "usage", "usage-1", "usage-2"]);
  });

  it("finds links in prose and tables, not in code blocks or code spans", () => {
    const doc = [
      'See [deploy](docs/deploy.md#prerequisites) and ![a diagram](img/flow.svg "flow").',
      "| [cli](docs/cli.md) | `[not](a-link.md)` |",
      "~~~",
      "[also not](inside-code.md)",
      "~~~",
      "[out](https://example.com/x) and [top](#title)",
    ].join("\n");
    expect(links(doc).map((l) => l.target)).to.deep.equal([
      "docs/deploy.md#prerequisites",
      "img/flow.svg",
      "docs/cli.md",
      "https://example.com/x",
      "#title",
    ]);
  });

  describe("brokenLink", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "sfs-docs-links-"));
      writeFileSync(path.join(dir, "a.md"), "# A\n## Set-up commands\n[b](b.md#missing)\n");
      writeFileSync(path.join(dir, "b.md"), "# B page\n## Used twice\n## Used twice\n");
      writeFileSync(path.join(dir, "code.ts"), "export {};\n");
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const from = () => path.join(dir, "a.md");

    it("accepts files, folders and existing anchors, also in the same file", () => {
      expect(brokenLink(from(), "b.md")).to.equal(undefined);
      expect(brokenLink(from(), "b.md#used-twice-1")).to.equal(undefined);
      expect(brokenLink(from(), "#set-up-commands")).to.equal(undefined);
      expect(brokenLink(from(), "./code.ts")).to.equal(undefined);
      expect(brokenLink(from(), "../")).to.equal(undefined);
    });

    it("names a missing file, a missing anchor and an anchor into a file that has none", () => {
      expect(brokenLink(from(), "c.md")).to.equal("c.md does not exist");
      expect(brokenLink(from(), "b.md#missing")).to.equal("b.md has no heading with the anchor #missing");
      expect(brokenLink(from(), "b.md#used-twice-2")).to.equal(
        "b.md has no heading with the anchor #used-twice-2",
      );
      expect(brokenLink(from(), "#a-heading-elsewhere")).to.equal(
        "a.md has no heading with the anchor #a-heading-elsewhere",
      );
      expect(brokenLink(from(), "code.ts#L1")).to.equal("#L1 points into a non-Markdown file");
    });
  });

  it("reads the shell blocks under a heading, with continued lines kept together", () => {
    const doc = [
      "## Five-minute tour",
      "```sh",
      "npm start",
      "```",
      "Then:",
      "```sh",
      "# a comment line",
      "curl -L -T a http://x/a   # upload",
      "",
      "curl -sS http://x/b \\",
      "  | wc -c",
      "```",
      "### A subsection",
      "```sh",
      "echo sub",
      "```",
      "## Next",
      "```sh",
      "echo next",
      "```",
    ].join("\n");
    const blocks = blocksUnder(doc, "Five-minute tour");
    expect(blocks.map((b) => b.info)).to.deep.equal(["sh", "sh", "sh"]);
    expect(blocks.map(shellCommands)).to.deep.equal([
      ["npm start"],
      ["curl -L -T a http://x/a   # upload", "curl -sS http://x/b \\\n  | wc -c"],
      ["echo sub"],
    ]);
    expect(blocksUnder(doc, "No such heading")).to.deep.equal([]);
  });
});
