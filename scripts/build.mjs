// Builds what `npm pack` packs, the independent steps side by side: they write to separate
// directories, and most of their time is spent parsing declarations on one core each (the
// component's compile and its schema both read the whole of @pulumi/aws's types).
//   node scripts/build.mjs             every package: the component, sfstore and the browser SDK
//   node scripts/build.mjs component   the component package alone (its prepack)
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import * as path from "node:path";

const root = path.join(import.meta.dirname, "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(args, cwd = root) {
  return new Promise((resolve, reject) => {
    const child = spawn(npm, ["run", "-s", ...args], {
      cwd,
      stdio: "inherit",
      shell: process.platform === "win32",
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run ${args.join(" ")} in ${cwd} exited ${code}`)),
    );
  });
}

async function component() {
  // No file of an older build may stay behind, as npm packs whole directories.
  for (const dir of ["components", "functions", "function"]) {
    rmSync(path.join(root, "dist", dir), { recursive: true, force: true });
  }
  await Promise.all([run(["build:lib"]), run(["build:function"]), run(["build:schema"])]);
}

const steps =
  process.argv[2] === "component"
    ? [component()]
    : [
        component(),
        run(["build"], path.join(root, "packages", "client")),
        run(["build"], path.join(root, "packages", "browser")),
      ];
const results = await Promise.allSettled(steps);
const failed = results.filter((r) => r.status === "rejected");
for (const f of failed) process.stderr.write(`${f.reason instanceof Error ? f.reason.message : f.reason}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
