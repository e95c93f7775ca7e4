// npm runs `prepare` after `npm install` or `npm ci` in a checkout, and in the copy of the
// repository that `pulumi package add <git URL>` installs. The plugin's `main` is the compiled
// provider (dist/components/provider/plugin.js), which a fresh clone does not have: build it then,
// when the build's tools are installed. An existing build is left as it is (`npm run build`
// renews it), and an install without devDependencies cannot build, so it does not try.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const root = path.join(import.meta.dirname, "..");
const require = createRequire(path.join(root, "package.json"));
const resolvable = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

const built = existsSync(path.join(root, "dist", "components", "provider", "plugin.js"));
const checkout = existsSync(path.join(root, "components", "provider", "plugin.ts"));
if (!built && checkout && ["typescript", "esbuild", "tsx"].every(resolvable)) {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["run", "-s", "build:component"], { cwd: root, stdio: "inherit" });
  process.exitCode = result.status ?? 1;
}
