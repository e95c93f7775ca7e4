#!/usr/bin/env node
// An installed package runs the compiled CLI (dist/client/cli/main.js, built by `npm run build` before
// `npm pack`) with plain node. A checkout of the repository has the TypeScript sources and may have
// no build, or an older one, so there the sources run through tsx, a devDependency, with the
// package's own tsconfig whatever directory sfs is run from.
const { existsSync } = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const source = path.join(root, "client", "cli", "main.ts");
if (existsSync(source)) {
  process.env.TSX_TSCONFIG_PATH ??= path.join(root, "tsconfig.json");
  require("tsx/cjs");
  require(source);
} else {
  require(path.join(root, "dist", "client", "cli", "main.js"));
}
