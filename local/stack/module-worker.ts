import { Worker } from "node:worker_threads";

// Run from TypeScript sources (as the local stack and the bench are), the worker loads its entry
// through tsx; compiled, it loads the JavaScript directly.
const BOOT = `const { workerData } = require("node:worker_threads");
if (workerData.tsx) require(workerData.tsx);
require(workerData.entry);`;

/** A worker thread running the module at `entry` (a resolved path), with `data` as its workerData. */
export function moduleWorker<T extends object>(entry: string, data: T): Worker {
  return new Worker(BOOT, {
    eval: true,
    workerData: { ...data, entry, tsx: entry.endsWith(".ts") ? require.resolve("tsx/cjs") : undefined },
  });
}
