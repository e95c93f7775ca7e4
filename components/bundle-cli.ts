import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { bundleHandler, PROJECT_ROOT } from "./bundle";

// `npm run build` writes the function bundle where it can be inspected or deployed by other tools.
const outDir = path.join(PROJECT_ROOT, "dist", "function");
const bundle = bundleHandler();
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, "index.js"), bundle.code);
process.stdout.write(`dist/function/index.js ${bundle.code.length} bytes sha256=${bundle.sha256}\n`);
