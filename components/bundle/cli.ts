import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { bundleHandler, PROJECT_ROOT } from "./function-bundle";

// `npm run build` writes the function's files where they can be inspected, zipped or deployed by
// other tools; the directory is emptied first so no chunk of an older build is left behind.
const outDir = path.join(PROJECT_ROOT, "dist", "function");
const bundle = bundleHandler();
rmSync(outDir, { recursive: true, force: true });
for (const [name, text] of Object.entries(bundle.files)) {
  mkdirSync(path.dirname(path.join(outDir, name)), { recursive: true });
  writeFileSync(path.join(outDir, name), text);
}
const total = Object.values(bundle.files).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
process.stdout.write(
  `dist/function/${bundle.entry} ${Buffer.byteLength(bundle.code)} bytes, ${Object.keys(bundle.files).length} files ${total} bytes, sha256=${bundle.sha256}\n`,
);
