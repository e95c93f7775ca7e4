import { expect } from "chai";
import {
  cdnBasePath,
  invalidationPaths,
  keyInvalidationPath,
  MAX_WILDCARD_PATHS,
} from "../../../functions/routes/invalidation-paths";

describe("invalidation paths", () => {
  it("a key's path is written as read URLs write it, then *, since the cache key carries query strings", () => {
    expect(keyInvalidationPath("", "photos/a b+c=d.png")).to.equal("/photos/a%20b%2Bc%3Dd.png*");
    expect(keyInvalidationPath("", "Zürich/*.txt")).to.equal("/Z%C3%BCrich/%2A.txt*");
    expect(keyInvalidationPath("/files", "a.txt")).to.equal("/files/a.txt*");
  });

  it("a key with ~ (which read URLs leave bare and CloudFront wants encoded) is covered by the path up to it", () => {
    expect(keyInvalidationPath("", "home/~alice/a.txt")).to.equal("/home/*");
  });

  it("the CDN's base path is the path every read URL starts with", () => {
    expect(cdnBasePath("https://d111111abcdef8.cloudfront.net")).to.equal("");
    expect(cdnBasePath("http://127.0.0.1:3001/")).to.equal("");
    expect(cdnBasePath("https://files.example.com/store")).to.equal("/store");
  });

  it("up to 15 keys get a path each, sorted, one covering another kept once", () => {
    expect(invalidationPaths("", ["b.txt", "a.txt", "a.txt", "home/~x", "home/y"])).to.deep.equal([
      "/a.txt*",
      "/b.txt*",
      "/home/*",
    ]);
  });

  it("past 15 paths the closest are merged into their common prefix until 15 are left, never inside a character", () => {
    const keys = Array.from({ length: 20 }, (_, i) => `many/k${String(i).padStart(2, "0")}`);
    expect(invalidationPaths("", keys)).to.deep.equal([
      "/many/k0*",
      ...Array.from({ length: 10 }, (_, i) => `/many/k1${i}*`),
    ]);
    // ü (%C3%BC) and é (%C3%A9) share their first byte; the prefix stops before the character.
    expect(invalidationPaths("", ["a/ü1", "a/ü2", "a/é1"], 1)).to.deep.equal(["/a/*"]);
    expect(invalidationPaths("", ["a/ü1", "a/ü2", "b"], 2)).to.deep.equal(["/a/%C3%BC*", "/b*"]);
    const thousand = Array.from({ length: 1000 }, (_, i) => `dir${i % 37}/file-${i}.bin`);
    const paths = invalidationPaths("", thousand);
    // A merge can cover more than its pair (dir1 covers dir1/ and dir10/ to dir19/): at most 15.
    expect(paths).to.deep.equal([
      "/dir0/file-*",
      "/dir1*",
      "/dir2*",
      "/dir3*",
      ...[4, 5, 6, 7, 8, 9].map((d) => `/dir${d}/file-*`),
    ]);
    expect(paths.length).to.be.at.most(MAX_WILDCARD_PATHS);
    for (const key of thousand) {
      expect(
        paths.some((p) => `/${key}`.startsWith(p.slice(0, -1))),
        key,
      ).to.equal(true);
    }
  });
});
