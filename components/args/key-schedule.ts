import type { SigningKeyAlgorithm } from "./types";

const DAY_SECONDS = 86_400;
/** Keys in the key group under a schedule: the period's own and the two before it. */
export const SCHEDULED_KEYS = 3;

export interface ScheduledKeys {
  readonly signingKeys: ReadonlyArray<{ readonly name: string; readonly algorithm: SigningKeyAlgorithm }>;
  readonly activeSigningKey: string;
}

/**
 * Signing keys that rotate every `rotationDays`, derived from the deploy's clock: time is cut into
 * periods counted from the Unix epoch, the period's key (`r<N>`) signs, and the two before it stay in
 * the key group. Deployed at least once a period (a scheduled `pulumi up`), a key that stops signing
 * at a deploy in period N+1 leaves the key group at the first deploy in period N+3 or later, at
 * least one whole period after its last URL was signed; a period no shorter than the longest read
 * expiry therefore never breaks a URL. Key names depend on the period only, so redeploying within a
 * period changes nothing, and the keys keep their logical names across deploys.
 */
export function scheduledSigningKeys(
  rotationDays: number,
  algorithm: SigningKeyAlgorithm,
  nowMs: number,
): ScheduledKeys {
  const period = Math.floor(nowMs / 1000 / (rotationDays * DAY_SECONDS));
  const names = Array.from({ length: SCHEDULED_KEYS }, (_, i) => `r${period - (SCHEDULED_KEYS - 1) + i}`);
  return {
    signingKeys: names.map((name) => ({ name, algorithm })),
    activeSigningKey: names[names.length - 1] ?? "",
  };
}
