import * as pulumi from "@pulumi/pulumi";
import type { SignedFileStoreAccountArgs } from "../args/types";
import { SignedFileStoreAccount as Account } from "../signed-file-store-account";
import type { SharedSigning, SignedFileStoreAccountComponentArgs } from "./args";
import { plainArgs, signingArgs } from "./plain-args";

/**
 * What every store in an AWS account can share, created once: the cache policy, the response
 * headers policy and one signing identity. Pass its `shared` output to each SignedFileStore.
 */
export class SignedFileStoreAccount extends pulumi.ComponentResource {
  /** What a SignedFileStore takes as its `shared` arg. */
  readonly shared: pulumi.Output<SharedSigning>;
  /** The shared key group's ID. */
  readonly keyGroupId: pulumi.Output<string>;
  /** CloudFront public key IDs by signing key name. */
  readonly publicKeyIds: pulumi.Output<Record<string, string>>;
  /** The SSM parameter that holds the active signing key. */
  readonly signingKeyParameterName: pulumi.Output<string>;

  /** The TypeScript SignedFileStoreAccount, held as its only child under the same name. */
  constructor(
    name: string,
    args: SignedFileStoreAccountComponentArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("signed-file-store:index:SignedFileStoreAccount", name, {}, opts);
    const account = new Account(name, toAccountArgs(args ?? {}), { parent: this });
    this.shared = pulumi.output(account.shared) as pulumi.Output<SharedSigning>;
    this.keyGroupId = account.keyGroupId;
    this.publicKeyIds = account.publicKeyIds;
    this.signingKeyParameterName = account.signingKeyParameterName;
    this.registerOutputs({
      shared: this.shared,
      keyGroupId: this.keyGroupId,
      publicKeyIds: this.publicKeyIds,
      signingKeyParameterName: this.signingKeyParameterName,
    });
  }
}

/** Every key of `SignedFileStoreAccountArgs` is listed, as for the store. */
export function toAccountArgs(input: SignedFileStoreAccountComponentArgs): SignedFileStoreAccountArgs {
  const args = plainArgs(input);
  const mapped: { [K in keyof Required<SignedFileStoreAccountArgs>]: SignedFileStoreAccountArgs[K] } = {
    maxReadExpirySeconds: args.maxReadExpirySeconds,
    ...signingArgs(args),
    tags: args.tags,
  };
  return Object.fromEntries(
    Object.entries(mapped).filter(([, value]) => value !== undefined),
  ) as SignedFileStoreAccountArgs;
}
