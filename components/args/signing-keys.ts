/** The signing keys of a store or an account: named ones, or a schedule from the deploy's clock. */
import * as pulumi from "@pulumi/pulumi";
import { MAX_EXPIRY_SECONDS } from "../../functions/config";
import { fail, oneOf } from "./checks";
import { rotationPeriodProblem, scheduledSigningKeys } from "./key-schedule";
import type { AccountSigning, OwnSigning, SharedSigning, SigningKeyAlgorithm, SigningKeyArgs } from "./types";

export interface SigningKeyChoice {
  readonly signingKeys?: SigningKeyArgs[];
  readonly activeSigningKey?: string;
  readonly signingKeyRotationDays?: number;
  readonly signingKeyAlgorithm?: SigningKeyAlgorithm;
  readonly clock?: () => number | Date;
}

const ALGORITHMS: readonly SigningKeyAlgorithm[] = ["ecdsa-p256", "rsa-2048"];

/**
 * `signingKeys` checked one by one: names a key group and a Pulumi name can carry, known
 * algorithms, no duplicate, at most a key group's five.
 */
export function namedKeys(keys: readonly SigningKeyArgs[] | unknown): Array<Required<SigningKeyArgs>> {
  if (!Array.isArray(keys)) return fail("signingKeys", "must be a list of keys", keys);
  const resolved = keys.map((k: SigningKeyArgs, i) => {
    if (typeof k?.name !== "string" || !/^[A-Za-z0-9-]{1,40}$/.test(k.name)) {
      fail(`signingKeys[${i}].name`, "must be 1 to 40 letters, digits or -", k?.name);
    }
    return {
      name: k.name,
      algorithm: oneOf(`signingKeys[${i}].algorithm`, k.algorithm, "ecdsa-p256", ALGORITHMS),
    };
  });
  if (resolved.length === 0 || resolved.length > 5)
    fail("signingKeys", "must hold 1 to 5 keys (a key group holds at most 5)", keys);
  const names = resolved.map((k) => k.name);
  if (new Set(names).size !== names.length) fail("signingKeys", "must have unique names", names);
  return resolved;
}

/** The deploy's time from `clock` (milliseconds or a Date), checked: the schedule names keys after it. */
function deployTime(clock: (() => number | Date) | undefined): number {
  if (clock !== undefined && typeof clock !== "function") fail("clock", "must be a function", typeof clock);
  const answer = (clock ?? Date.now)();
  const now = answer instanceof Date ? answer.getTime() : answer;
  if (!Number.isSafeInteger(now) || now < 0)
    fail("clock", "must answer milliseconds since the Unix epoch", now);
  return now;
}

/**
 * Named keys (default one ECDSA P-256 key, `primary`) or, with `signingKeyRotationDays`, the
 * schedule's five, with the period checked against the longest read URL.
 */
export function resolveSigningKeys(args: SigningKeyChoice, maxReadExpirySeconds: number): OwnSigning {
  const days = args.signingKeyRotationDays;
  if (days === undefined) {
    const keys = namedKeys(args.signingKeys ?? [{ name: "primary" }]);
    const names = keys.map((k) => k.name);
    const active = args.activeSigningKey ?? names[0] ?? "";
    if (!names.includes(active)) fail("activeSigningKey", `must be one of ${names.join(", ")}`, active);
    return { mode: "own", keys, active };
  }
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 3650) {
    fail("signingKeyRotationDays", "must be a whole number of days from 1 to 3650", days);
  }
  const problem = rotationPeriodProblem(days, maxReadExpirySeconds);
  if (problem) fail("signingKeyRotationDays", problem, days);
  if (args.signingKeys !== undefined || args.activeSigningKey !== undefined) {
    fail("signingKeyRotationDays", "names its own keys: leave signingKeys and activeSigningKey unset", days);
  }
  const algorithm = oneOf("signingKeyAlgorithm", args.signingKeyAlgorithm, "ecdsa-p256", ALGORITHMS);
  const schedule = scheduledSigningKeys(days, algorithm, deployTime(args.clock));
  return {
    mode: "own",
    keys: schedule.signingKeys,
    active: schedule.activeSigningKey,
    retiresAtMs: schedule.retiresAtMs,
  };
}

const SHARED_OUTPUTS = [
  "cachePolicyId",
  "responseHeadersPolicyId",
  "keyGroupId",
  "keyPairId",
  "signingKeyParameterName",
  "signingKeyParameterArn",
  "signingKeyKmsKeyArn",
] as const;

/** The args the account decides for every store sharing it. */
const ACCOUNT_DECIDES = [
  "activeSigningKey",
  "signingKeyRotationDays",
  "signingKeyAlgorithm",
  "clock",
] as const;

/**
 * A store's signing: its own keys, or the account's `shared` identity plus the store's earlier keys
 * (`signingKeys`), still trusted while the URLs they signed expire.
 */
export function resolveStoreSigning(
  args: SigningKeyChoice & { readonly shared?: SharedSigning },
  maxReadExpirySeconds: number,
): OwnSigning | AccountSigning {
  const { shared } = args;
  if (shared === undefined) return resolveSigningKeys(args, maxReadExpirySeconds);
  if (typeof shared !== "object" || shared === null)
    fail("shared", "must be a SignedFileStoreAccount's shared output", shared);
  for (const field of SHARED_OUTPUTS) {
    const value: unknown = shared[field];
    if (!(typeof value === "string" && value !== "") && !pulumi.Output.isInstance(value)) {
      fail(`shared.${field}`, "must be the SignedFileStoreAccount's output", value);
    }
  }
  const accountMax = shared.maxReadExpirySeconds;
  if (!Number.isInteger(accountMax) || accountMax < 1 || accountMax > MAX_EXPIRY_SECONDS)
    fail("shared.maxReadExpirySeconds", `must be between 1 and ${MAX_EXPIRY_SECONDS}`, accountMax);
  if (maxReadExpirySeconds > accountMax) {
    fail(
      "maxReadExpirySeconds",
      `must not exceed the account's (shared.maxReadExpirySeconds, ${accountMax}), which its key rotation covers`,
      maxReadExpirySeconds,
    );
  }
  for (const arg of ACCOUNT_DECIDES) {
    if (args[arg] !== undefined) {
      fail(
        arg,
        "is the account's with shared: set it on the SignedFileStoreAccount",
        typeof args[arg] === "function" ? "function" : args[arg],
      );
    }
  }
  const retainedKeys = args.signingKeys === undefined ? [] : namedKeys(args.signingKeys);
  return { mode: "shared", shared, retainedKeys };
}
