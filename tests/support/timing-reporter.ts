import * as path from "node:path";
import Mocha from "mocha";

/**
 * Mocha's spec reporter, followed by the time each test file's tests and hooks took, the slowest
 * files first, so the next slow test is visible in every run. `SFS_TEST_TIMES=N` prints
 * the N slowest (default 15; 0 for none).
 */
class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // In parallel mode each file's events arrive together once it has finished, and only tests name
    // their file, so a file's time is what its tests and hooks took (their durations); hooks that
    // ran before the file's first test are counted once that test names the file.
    const spent = new Map<string, number>();
    let current: string | undefined;
    let unplaced = 0;
    const count = (file: string, ms: number) => spent.set(file, (spent.get(file) ?? 0) + ms);
    const place = (file: string | undefined) => {
      if (!file || file === current) return;
      current = file;
      count(file, unplaced);
      unplaced = 0;
    };
    const fileName = (file: string | undefined) => file && path.relative(process.cwd(), file);
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.root) current = undefined;
      place(fileName(suite.file));
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_END, (test: Mocha.Test) => {
      place(fileName(test.file));
      if (current) count(current, test.duration ?? 0);
    });
    runner.on(Mocha.Runner.constants.EVENT_HOOK_END, (hook: Mocha.Hook) => {
      if (current) count(current, hook.duration ?? 0);
      else unplaced += hook.duration ?? 0;
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const most = Number(process.env.SFS_TEST_TIMES ?? 15);
      if (!(most > 0) || spent.size === 0) return;
      const total = [...spent.values()].reduce((a, b) => a + b, 0);
      const rows = [...spent].sort((a, b) => b[1] - a[1]).slice(0, most);
      process.stdout.write(`\n  time per test file (${spent.size} files, ${(total / 1000).toFixed(1)} s):\n`);
      for (const [file, ms] of rows) {
        process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`);
      }
    });
  }
}

export = TimingReporter;
