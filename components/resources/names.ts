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

/** Names for the component `name` in the running organization, project and stack. */
export function physicalNames(name: string): PhysicalNames {
  const scope = [organization(), pulumi.getProject(), pulumi.getStack(), name].join("/");
  const hash = createHash("sha256").update(scope).digest("hex").slice(0, HASH_LENGTH);
  const base = foldName(name);
  return {
    derived(role, max) {
      return `${join(base, role, max - role.length - HASH_LENGTH - 2)}-${hash}`;
    },
    prefix(role, max, lowerCase = false) {
      const prefix = `${join(lowerCase ? base.toLowerCase() : base, role, max - role.length - 2)}-`;
      return lowerCase ? prefix.toLowerCase() : prefix;
    },
  };
}

/** What every child helper takes: the component's name, its physical names, its args and itself. */
export interface ChildScope {
  readonly name: string;
  readonly names: PhysicalNames;
  readonly config: ResolvedArgs;
  readonly parent: pulumi.Resource;
}
