#!/usr/bin/env node
// Runs before `npm test` (npm's pretest): the suite drives the real chromium, curl and openssl, and a
// machine without them would fail half-way through with errors that do not say why. This names what
// is missing and the command that installs it (Debian's package names, as .ci/run installs them).
import { accessSync, constants } from "node:fs";
import path from "node:path";

const PATH_DIRS = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);

/** Whether `file` is an executable file, or `name` an executable on PATH. */
function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
const onPath = (name) => PATH_DIRS.some((dir) => executable(path.join(dir, name)));

function missingTools(env, found) {
  const missing = [];
  // The browser tests launch CHROMIUM_PATH, else Debian's /usr/bin/chromium (tests/examples/browser.test.ts).
  if (!found.executable(env.CHROMIUM_PATH ?? "/usr/bin/chromium")) missing.push("chromium");
  for (const tool of ["curl", "openssl"]) if (!found.onPath(tool)) missing.push(tool);
  return missing;
}

const missing = missingTools(process.env, { executable, onPath });
if (missing.length > 0) {
  process.stderr.write(
    `missing: ${missing.join(" ")} — run: sudo apt-get update && sudo apt-get install -y chromium curl openssl\n`,
  );
  process.exit(1);
}
