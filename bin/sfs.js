#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly, so the package needs no build step.
require("tsx/cjs");
require("../client/cli.ts");
