/**
 * Milliseconds since `start` (a `process.hrtime.bigint()`). Not `performance.now()`: the global
 * `performance` loads node:perf_hooks and its eight internal modules on first use, which every cold
 * start that signs something would pay.
 */
export function millisSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
