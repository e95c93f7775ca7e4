import * as pulumi from "@pulumi/pulumi";

export function fail(arg: string, requirement: string, value: unknown): never {
  throw new Error(`[${arg}] ${requirement}, got ${JSON.stringify(value)}`);
}

/**
 * The schema marks every arg plain but `shared`'s outputs: the components validate and branch on
 * them while the program runs, before any cloud resource exists, so an output of another resource
 * (or a secret, which arrives wrapped in one) cannot be used.
 */
export function plainArgs<T extends object>(args: T): T {
  for (const [arg, value] of Object.entries(args)) {
    if (pulumi.Output.isInstance(value)) fail(arg, "must be a plain value known before deployment", "output");
  }
  return args;
}
