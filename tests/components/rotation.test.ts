import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs, signingKeysFromConfig } from "../../components";
import { type RecordedResource, resourcesOf, settled, single, useStack } from "../support/pulumi-mocks";

interface Deployed {
  /** The key pair ID and PEM the function signs with: what a URL signed at this step names. */
  readonly signer: { readonly keyPairId: string; readonly privateKeyPem: string };
  /** The public keys the distribution trusts, by ID. */
  readonly trusted: ReadonlyMap<string, string>;
}

/** One `pulumi up` of the same stack with `args`; resources keep their logical names across steps. */
async function deploy(step: number, args: SignedFileStoreArgs): Promise<Deployed> {
  useStack(`rotation-${step}`);
  try {
    new SignedFileStore("rotating", args);
    await settled();
  } finally {
    useStack("test");
  }
  const resources = resourcesOf("rotating", `rotation-${step}`);
  const publicKeys = resources.filter((r) => r.type === "aws:cloudfront/publicKey:PublicKey");
  const idOf = (r: RecordedResource) => `K-${r.name}`;
  const items = single(resources, "aws:cloudfront/keyGroup:KeyGroup").inputs.items as string[];
  const trusted = new Map(
    publicKeys.filter((k) => items.includes(idOf(k))).map((k) => [idOf(k), String(k.inputs.encodedKey)]),
  );
  const signer = JSON.parse(String(single(resources, "aws:ssm/parameter:Parameter").inputs.value));
  return { signer, trusted };
}

/** The public half of a mocked private key, as the mocks derive both from the key's logical name. */
const publicHalfOf = (privateKeyPem: string) =>
  privateKeyPem.replaceAll("PRIVATE KEY", "PUBLIC KEY").replace("SECRET-", "PUBLIC-");

describe("signing key rotation from the stack's config", () => {
  const steps: Array<[string, string[], string]> = [
    ["one key", ["a"], ""],
    ["a second key published, not yet signing", ["a", "b:rsa-2048"], "a"],
    ["the second key signs", ["a", "b:rsa-2048"], "b"],
    ["the first key removed after the longest read expiry", ["b:rsa-2048"], ""],
  ];

  it("never breaks a URL: what signed at each step is trusted at the next", async () => {
    const deployed: Deployed[] = [];
    for (const [i, [, keys, active]] of steps.entries()) {
      deployed.push(
        await deploy(i, {
          signingKeys: signingKeysFromConfig(keys, "ecdsa-p256"),
          ...(active ? { activeSigningKey: active } : {}),
        }),
      );
    }
    expect(deployed.map((d) => d.signer.keyPairId)).to.deep.equal([
      "K-rotating-public-key-a",
      "K-rotating-public-key-a",
      "K-rotating-public-key-b",
      "K-rotating-public-key-b",
    ]);
    for (let i = 1; i < deployed.length; i++) {
      const { signer } = deployed[i - 1] as Deployed;
      const next = deployed[i] as Deployed;
      // The next key group still holds the key pair ID a URL from the step before names, with the
      // public half of the private key that signed it.
      expect(next.trusted.get(signer.keyPairId), `step ${i}: ${steps[i]?.[0]}`).to.equal(
        publicHalfOf(signer.privateKeyPem),
      );
      // And the key that signs now is trusted now.
      expect(next.trusted.get(next.signer.keyPairId)).to.equal(publicHalfOf(next.signer.privateKeyPem));
    }
  });

  it("reads NAME or NAME:ALGORITHM entries, naming a bad one", () => {
    expect(signingKeysFromConfig(["a", "b:rsa-2048"], "ecdsa-p256")).to.deep.equal([
      { name: "a", algorithm: "ecdsa-p256" },
      { name: "b", algorithm: "rsa-2048" },
    ]);
    expect(() => signingKeysFromConfig(["a:b:c"], "ecdsa-p256")).to.throw(
      Error,
      '[signingKeys[0]] must be NAME or NAME:ALGORITHM, got "a:b:c"',
    );
  });
});
