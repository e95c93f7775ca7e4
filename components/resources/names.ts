import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedArgs } from "../args/types";

/**
 * Physical names for the children of one component instance. A Pulumi name may hold any character
 * and any length, while AWS names are narrow: Lambda functions `[A-Za-z0-9_-]` up to 64 characters
 * (Lambda API Reference, "CreateFunction", FunctionName), CloudFront public keys, key groups and
 * policies `[A-Za-z0-9_-]` (CloudFront API Reference, "PublicKeyConfig" Name), origin access
 * controls up to 64, IAM role names up to 64 (IAM User Guide, "IAM object quotas"; the provider's
 * `namePrefix` leaves 38 of them), S3 bucket names lower case, up to 63, and without dots if
 * virtual-hosted TLS is to work (S3 User Guide, "General purpose bucket naming rules"; the
 * provider's `bucketPrefix` leaves 37). So the component name is folded to `[A-Za-z0-9-]` (accents
 * dropped, anything else a `-`) and cut to fit.
 *
 * Folding and cutting can make two names alike (`files.v2` and `files_v2`), and two stacks of one
 * program use the same component name, so a name without a provider-made unique suffix also carries
 * a hash of the organization, project, stack and the component name as given. Names with a
 * provider-made suffix (`namePrefix`, `bucketPrefix`) are unique by construction: the provider adds
 * a timestamp and a counter.
 */
export interface PhysicalNames {
  /** `BASE-ROLE-HASH` in `[A-Za-z0-9-]`, at most `max` characters, the same on every deployment. */
  derived(role: string, max: number): string;
  /** A derived name SSM accepts for a parameter (see `ssmParameterName`). */
  parameter(role: string, max: number): string;
  /** `BASE-ROLE-` for a provider-suffixed name, at most `max` characters; lower case for buckets. */
  prefix(role: string, max: number, lowerCase?: boolean): string;
}

const HASH_LENGTH = 8;

/** The component name folded to `[A-Za-z0-9-]`, without leading, trailing or repeated `-`. */
export function foldName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function join(base: string, role: string, budget: number): string {
  const cut = base.slice(0, Math.max(0, budget)).replace(/-+$/, "");
  return cut ? `${cut}-${role}` : role;
}

/** The organization, or "" from an engine that reports none (it throws then). */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "";
  }
}

/**
 * SSM refuses a parameter name that begins with `aws` or `ssm`, in any case (Systems Manager User
 * Guide, "Parameter Store reference", "Parameter name constraints", Prefixes: `awsTestParameter` and
 * `SSM-testparameter` fail), so such a name gets a `sfs-` in front. Other names stay as they were
 * derived, so deployed parameters keep theirs.
 */
export const RESERVED_PARAMETER_PREFIX = /^(aws|ssm)/i;
export const PARAMETER_PREFIX = "sfs-";

export function ssmParameterName(derived: string): string {
  return RESERVED_PARAMETER_PREFIX.test(derived) ? `${PARAMETER_PREFIX}${derived}` : derived;
}

/** Names for the component `name` in the running organization, project and stack. */
export function physicalNames(name: string): PhysicalNames {
  const scope = [organization(), pulumi.getProject(), pulumi.getStack(), name].join("/");
  const hash = createHash("sha256").update(scope).digest("hex").slice(0, HASH_LENGTH);
  const folded = foldName(name);
  const derived = (role: string, max: number) =>
    `${join(folded, role, max - role.length - HASH_LENGTH - 2)}-${hash}`;
  return {
    derived,
    parameter(role, max) {
      return ssmParameterName(derived(role, max - PARAMETER_PREFIX.length));
    },
    prefix(role, max, lowerCase = false) {
      const prefix = `${join(lowerCase ? folded.toLowerCase() : folded, role, max - role.length - 2)}-`;
      return lowerCase ? prefix.toLowerCase() : prefix;
    },
  };
}

/**
 * Resource options that keep a physical name as it was when the resource was created. The names
 * derive from the component's name and the stack's, so renaming either (the component with an
 * alias, the stack with `pulumi stack rename`) changes them, and for most of these resources a new
 * name means a new resource: a new, empty bucket, a new function with a new URL, a new log group
 * without the old logs. A name only matters when the resource is created, so later changes to it
 * are ignored and every resource stays where it is. A stack created afterwards under an old stack's
 * name would compute that stack's names again: give it another name.
 */
export const keepName = (field = "name"): { ignoreChanges: string[] } => ({ ignoreChanges: [field] });

/** What a child helper shared by both components takes: the component's name, names, tags, itself. */
export interface Scope {
  readonly name: string;
  readonly names: PhysicalNames;
  readonly tags: Readonly<Record<string, string>>;
  readonly parent: pulumi.Resource;
}

/** What every child helper of the store takes: the shared scope and the store's resolved args. */
export interface ChildScope extends Scope {
  readonly config: ResolvedArgs;
}
