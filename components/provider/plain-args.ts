import * as pulumi from "@pulumi/pulumi";
import type { SigningKeyAlgorithm } from "../args/types";
import type { KeyAlgorithm, SigningKey } from "./args";

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

/** The signing-key args as the schema carries them, which the store and the account take alike. */
export function signingArgs(args: {
  readonly signingKeys?: SigningKey[];
  readonly activeSigningKey?: string;
  readonly signingKeyRotationDays?: number;
  readonly signingKeyAlgorithm?: KeyAlgorithm;
}) {
  return {
    signingKeys: args.signingKeys?.map((k) => ({
      name: k.name,
      algorithm: k.algorithm as SigningKeyAlgorithm | undefined,
    })),
    activeSigningKey: args.activeSigningKey,
    signingKeyRotationDays: args.signingKeyRotationDays,
    signingKeyAlgorithm: args.signingKeyAlgorithm as SigningKeyAlgorithm | undefined,
    // Not in the schema: a program in any language deploys on the wall clock.
    clock: undefined,
  };
}
