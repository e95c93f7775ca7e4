#!/usr/bin/env node
// An installed package runs the bundled CLI (dist/cli.js, built before `npm pack`) with
// plain node. In the repository's checkout, where this file sits at packages/client/bin/ beside
// the TypeScript sources two levels up, the sources run through tsx (a devDependency of the
// repository) with the repository's tsconfig, so no build is needed and none goes stale.
const { existsSync } = require("node:fs");
const path = require("node:path");

const pkg = path.join(__dirname, "..");
const repo = path.join(pkg, "..", "..");
const source = path.join(repo, "client", "cli", "main.ts");
if (path.basename(path.dirname(pkg)) === "packages" && existsSync(source)) {
  process.env.TSX_TSCONFIG_PATH ??= path.join(repo, "tsconfig.json");
  require("tsx/cjs");
  require(source);
} else {
  require(path.join(pkg, "dist", "cli.js"));
}
