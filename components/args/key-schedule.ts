import { windowSeconds } from "../../functions/routes/read-url";
import type { SigningKeyAlgorithm } from "./types";

export const DAY_SECONDS = 86_400;
/**
 * The most public keys a key group holds (CloudFront Developer Guide, "Quotas", "Public keys in a
 * single key group": 5), and the size of a scheduled key group.
 */
export const KEY_GROUP_CAPACITY = 5;
/** Scheduled keys kept after the period's own: the keys that signed in the two periods before. */
export const SCHEDULED_KEYS_BEFORE = 2;
/** Scheduled keys published before they sign: those of the next two periods. */
export const SCHEDULED_KEYS_AFTER = 2;

export interface ScheduledKeys {
  /** The period the deploy falls in, counted from the Unix epoch. */
  readonly period: number;
  /** Oldest first: `r<N-2>`, `r<N-1>`, `r<N>` (signing), `r<N+1>`, `r<N+2>`. */
  readonly signingKeys: ReadonlyArray<{ readonly name: string; readonly algorithm: SigningKeyAlgorithm }>;
  readonly activeSigningKey: string;
  /**
   * When `activeSigningKey` may first leave the key group: the start of period N+3, the earliest a
   * deploy drops it (milliseconds since the Unix epoch).
   */
  readonly retiresAtMs: number;
}

/** The name of the scheduled key of period `period`. */
export const scheduledKeyName = (period: number): string => `r${period}`;

/** The period a deploy at `nowMs` falls in, for periods of `rotationDays` days from the Unix epoch. */
export function periodOf(rotationDays: number, nowMs: number): number {
  return Math.floor(nowMs / 1000 / (rotationDays * DAY_SECONDS));
}

/**
 * Signing keys that rotate every `rotationDays`, as a pure function of the deploy's clock. Time is
 * cut into periods counted from the Unix epoch. A deploy in period N signs with `r<N>` and keeps in
 * the key group the keys of the two periods before it and of the two after it: five keys, a key
 * group's limit.
 *
 * - Published ahead: `r<N>` enters the key group at a deploy in period N-2 or N-1. With a deploy in
 *   every period, there is one in period N-2, so the key is in the group at least a whole period and
 *   at least one deploy before it signs; after one period without any deploy it was still published
 *   at the deploy before the gap.
 * - Kept after: `r<N>` signs until the first deploy after period N, and leaves the key group at the
 *   first deploy in period N+3. With a deploy in every period that is at least a whole period after
 *   its last URL was signed, and the period covers the longest read URL (`checkRotationPeriod`).
 * - Key names depend only on the period, so a redeploy within a period changes nothing, and a
 *   key keeps its logical name for as long as it exists.
 *
 * The schedule cannot see the deploys before this one: it is stateless so that every deploy, and
 * any simulation of deploys, is decided by the args and the clock alone. README, "Rotating the
 * signing key", states what a deploy gap does.
 */
export function scheduledSigningKeys(
  rotationDays: number,
  algorithm: SigningKeyAlgorithm,
  nowMs: number,
): ScheduledKeys {
  const period = periodOf(rotationDays, nowMs);
  const periods = Array.from(
    { length: SCHEDULED_KEYS_BEFORE + 1 + SCHEDULED_KEYS_AFTER },
    (_, i) => period - SCHEDULED_KEYS_BEFORE + i,
  );
  return {
    period,
    signingKeys: periods.map((p) => ({ name: scheduledKeyName(p), algorithm })),
    activeSigningKey: scheduledKeyName(period),
    retiresAtMs: (period + SCHEDULED_KEYS_BEFORE + 1) * rotationDays * DAY_SECONDS * 1000,
  };
}

/**
 * How long a read URL may stay valid after it was signed: the function rounds each read URL's
 * expiry up to the end of a window (functions/routes/read-url.ts, `alignedExpiry`), so a URL asked
 * for `maxReadExpirySeconds` is valid for less than that plus the window. The window grows with the
 * expiry, so the longest URL is one asked for the longest expiry.
 */
export function longestReadUrlSeconds(maxReadExpirySeconds: number): number {
  return maxReadExpirySeconds + windowSeconds(maxReadExpirySeconds);
}

/**
 * Why `rotationDays` is too short for read URLs of up to `maxReadExpirySeconds`, or undefined: a
 * key that stops signing must stay in the key group until every URL it signed has expired, and the
 * schedule keeps it at least one period.
 */
export function rotationPeriodProblem(
  rotationDays: number,
  maxReadExpirySeconds: number,
): string | undefined {
  const longest = longestReadUrlSeconds(maxReadExpirySeconds);
  if (rotationDays * DAY_SECONDS >= longest) return undefined;
  const window = longest - maxReadExpirySeconds;
  return (
    `must cover the longest read URL, maxReadExpirySeconds (${maxReadExpirySeconds} s) plus the ` +
    `${window} s window its expiry is rounded up to: at least ${Math.ceil(longest / DAY_SECONDS)} days`
  );
}
