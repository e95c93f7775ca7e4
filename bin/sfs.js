#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly, so the package needs no build step. tsx would
// otherwise read the tsconfig.json of whatever directory sfs is run from.
const path = require("node:path");
process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, "..", "tsconfig.json");
require("tsx/cjs");
require("../client/cli.ts");
