/**
 * Measuring helpers for `npm run bench`: everything is measured side by side, in rounds that take
 * turns (A B C, A B C, ...), so a machine that speeds up or slows down during the run moves every
 * contender alike; each figure is printed with its spread over the rounds (min / median / max).
 */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: sorted[0] ?? 0, median, max: sorted[sorted.length - 1] ?? 0 };
}

/** `1.23x (1.10 .. 1.40)`: the median, then min and max. */
export function showSpread(s: Spread, digits = 2, unit = "x"): string {
  return `${s.median.toFixed(digits)}${unit} (${s.min.toFixed(digits)} .. ${s.max.toFixed(digits)})`;
}

/** Pairwise ratios a[i] / b[i]: each round's figures divided within the round. */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / (b[i] ?? Number.NaN));
}

export type Work = () => unknown | Promise<unknown>;

/** Calls per second of `fn` over about `millis`, after a short warm-up. */
export async function rate(fn: Work, millis: number): Promise<number> {
  for (let i = 0; i < 100; i++) await fn();
  let count = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(millis * 1e6));
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 25; i++) await fn();
    count += 25;
  }
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Each contender's rate per round, the contenders taking turns within every round. */
export async function rates<K extends string>(
  contenders: Readonly<Record<K, Work>>,
  rounds: number,
  millis: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) out[name].push(await rate(contenders[name], millis));
  }
  return out;
}

export interface AnswerRates {
  /** Calls per second, counting each call until its promise settles: the time to the answer. */
  readonly answer: number[];
  /** Calls per second, counting the turn of the event loop after each call too (deferred work). */
  readonly whole: number[];
}

/**
 * Like `rates`, but every call is its own turn of the event loop, as a request arriving over the
 * network is, so work deferred with setImmediate runs once per call and is seen in `whole`.
 */
export async function answerRates<K extends string>(
  contenders: Readonly<Record<K, Work>>,
  rounds: number,
  millis: number,
): Promise<Record<K, AnswerRates>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(
    names.map((n): [K, AnswerRates] => [n, { answer: [], whole: [] }]),
  ) as Record<K, AnswerRates>;
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const fn = contenders[name];
      for (let i = 0; i < 100; i++) await fn();
      let count = 0;
      let answering = 0n;
      const start = process.hrtime.bigint();
      const until = start + BigInt(Math.round(millis * 1e6));
      for (let now = start; now < until; count++) {
        await fn();
        const answered = process.hrtime.bigint();
        answering += answered - now;
        await nextTurn();
        now = process.hrtime.bigint();
      }
      out[name].answer.push(count / (Number(answering) / 1e9));
      out[name].whole.push(count / (Number(process.hrtime.bigint() - start) / 1e9));
    }
  }
  return out;
}

/** Each contender's own figure (a time it measured) per round, the contenders taking turns within every round. */
export async function timings<K extends string>(
  contenders: Readonly<Record<K, () => Promise<number>>>,
  rounds: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) out[name].push(await contenders[name]());
  }
  return out;
}

export function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(62)} ${value}`);
}
