/** Checks and resolvers for single args, each failing with the arg's name and the bad value. */
import { ruleTemplateProblem } from "../../functions/auth/access-rules";
import { type AuthSettings, DEFAULT_JWT_ALGORITHMS, type JwtScopes } from "../../functions/auth/settings";
import type { AuthArgs, EncryptionArgs, ErrorRateAlarmArgs } from "./types";

/** `arn:PARTITION:iam::ACCOUNT:role/NAME` or `:user/NAME`, with an optional path. */
export const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export function resolveEncryption(encryption: EncryptionArgs | undefined): EncryptionArgs {
  if (encryption === undefined) return { mode: "sse-s3" };
  switch (encryption.mode) {
    case "sse-s3":
      return { mode: "sse-s3" };
    case "sse-kms": {
      const { kmsKeyArn } = encryption;
      if (kmsKeyArn === undefined) return { mode: "sse-kms" };
      // S3 takes an alias too, but a key policy and an IAM grant need the key's own ARN.
      if (typeof kmsKeyArn !== "string" || !KMS_KEY_ARN.test(kmsKeyArn))
        fail("encryption.kmsKeyArn", "must be a KMS key ARN (not an alias)", kmsKeyArn);
      return { mode: "sse-kms", kmsKeyArn };
    }
    default:
      return fail(
        "encryption.mode",
        "must be one of sse-s3, sse-kms",
        (encryption as { mode: unknown }).mode,
      );
  }
}

export function resolveErrorRateAlarm(
  alarm: ErrorRateAlarmArgs | undefined,
): Required<ErrorRateAlarmArgs> | undefined {
  if (alarm === undefined) return undefined;
  const { threshold } = alarm;
  if (typeof threshold !== "number" || !(threshold > 0 && threshold < 1))
    fail("errorRateAlarm.threshold", "must be a share between 0 and 1, such as 0.05", threshold);
  const periodSeconds = integerIn("errorRateAlarm.periodSeconds", alarm.periodSeconds, 300, 60, 86400);
  if (periodSeconds % 60 !== 0)
    fail("errorRateAlarm.periodSeconds", "must be a multiple of 60", periodSeconds);
  const actions = alarm.actions ?? [];
  if (!Array.isArray(actions) || actions.some((a) => typeof a !== "string" || !/^arn:aws[a-z-]*:/.test(a)))
    fail("errorRateAlarm.actions", "must be a list of ARNs", actions);
  return {
    threshold,
    periodSeconds,
    evaluationPeriods: integerIn("errorRateAlarm.evaluationPeriods", alarm.evaluationPeriods, 1, 1, 100),
    actions: [...actions],
  };
}

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function fail(arg: string, requirement: string, value: unknown): never {
  throw new Error(`[${arg}] ${requirement}, got ${JSON.stringify(value)}`);
}

export function integerIn(
  arg: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) fail(arg, `must be between ${min} and ${max}`, v);
  return v;
}

export function booleanArg(arg: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== "boolean") fail(arg, "must be true or false", v);
  return v;
}

export function oneOf<T extends string>(
  arg: string,
  value: T | undefined,
  fallback: T,
  allowed: readonly T[],
): T {
  const v = value ?? fallback;
  if (!allowed.includes(v)) fail(arg, `must be one of ${allowed.join(", ")}`, v);
  return v;
}

export function templates(
  arg: string,
  value: readonly string[] | undefined,
  fallback: readonly string[],
): string[] {
  const list = [...(value ?? fallback)];
  list.forEach((t, i) => {
    const problem = typeof t === "string" ? ruleTemplateProblem(t) : "must be a string";
    if (problem) throw new Error(`[${arg}[${i}]] ${problem}`);
  });
  return list;
}

export function resolveAuth(auth: AuthArgs | undefined): AuthSettings {
  if (auth === undefined) return { mode: "iam" };
  switch (auth.mode) {
    case "iam":
    case "public":
      return { mode: auth.mode };
    case "jwt": {
      for (const field of ["issuer", "audience", "jwksUrl"] as const) {
        if (typeof auth[field] !== "string" || auth[field] === "")
          fail(`auth.${field}`, "must be a non-empty string", auth[field]);
      }
      if (!/^https:\/\//.test(auth.jwksUrl)) fail("auth.jwksUrl", "must be an https URL", auth.jwksUrl);
      const algorithms = auth.algorithms ?? DEFAULT_JWT_ALGORITHMS;
      if (algorithms.length === 0 || algorithms.some((a) => !DEFAULT_JWT_ALGORITHMS.includes(a))) {
        fail(
          "auth.algorithms",
          `must be a non-empty subset of ${DEFAULT_JWT_ALGORITHMS.join(", ")}`,
          algorithms,
        );
      }
      const write = templates("auth.rules.write", auth.rules?.write, ["{sub}/"]);
      const scopes = jwtScopes(auth.scopes);
      return {
        mode: "jwt",
        issuer: auth.issuer,
        audience: auth.audience,
        jwksUrl: auth.jwksUrl,
        algorithms: [...algorithms],
        rules: {
          read: templates("auth.rules.read", auth.rules?.read, ["{sub}/"]),
          write,
          delete: templates("auth.rules.delete", auth.rules?.delete, write),
        },
        // Absent unless set, so the handler's own default (purge needs `purge`) applies and a store
        // that sets none keeps the configuration it had.
        ...(scopes === undefined ? {} : { scopes }),
      };
    }
    default:
      return fail("auth.mode", "must be one of iam, jwt, public", (auth as { mode: unknown }).mode);
  }
}

export const SCOPED_ACTIONS = ["read", "write", "delete", "purge"] as const;

/**
 * A scope token as OAuth 2.0 writes them: printable ASCII without space, `"` or `\` (RFC 6749,
 * section 3.3), so it can stand in a space-separated `scope` claim.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function jwtScopes(value: JwtScopes | undefined): JwtScopes | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail("auth.scopes", "must map read, write, delete or purge to a scope", value);
  const scopes: Partial<Record<(typeof SCOPED_ACTIONS)[number], string>> = {};
  for (const [action, scope] of Object.entries(value)) {
    if (!(SCOPED_ACTIONS as readonly string[]).includes(action))
      fail("auth.scopes", `names ${SCOPED_ACTIONS.join(", ")} only`, action);
    if (scope === undefined) continue;
    if (typeof scope !== "string" || !SCOPE_TOKEN.test(scope)) {
      fail(`auth.scopes.${action}`, 'must be a scope token (printable ASCII without space, " or \\)', scope);
    }
    scopes[action as (typeof SCOPED_ACTIONS)[number]] = scope;
  }
  return scopes;
}
