import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs, signingKeysFromConfig } from "../../components";
import { scheduledSigningKeys } from "../../components/args/key-schedule";
import { resolveArgs } from "../../components/args/resolve";
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

describe("signing key rotation on a schedule", () => {
  const DAY_MS = 86_400_000;
  /** Deploys with the deploy's clock at `nowMs`: the schedule reads Date.now once, when args resolve. */
  async function deployAt(step: number, nowMs: number, args: SignedFileStoreArgs): Promise<Deployed> {
    const realNow = Date.now;
    Date.now = () => nowMs;
    try {
      return await deploy(100 + step, args);
    } finally {
      Date.now = realNow;
    }
  }

  it("names the period's key and the two before it, the period's signing", () => {
    // 2026-11-23T12:00:00Z is day 20780.5 since the epoch: period 2968 of 7 days.
    expect(scheduledSigningKeys(7, "ecdsa-p256", Date.UTC(2026, 10, 23, 12))).to.deep.equal({
      signingKeys: [
        { name: "r2966", algorithm: "ecdsa-p256" },
        { name: "r2967", algorithm: "ecdsa-p256" },
        { name: "r2968", algorithm: "ecdsa-p256" },
      ],
      activeSigningKey: "r2968",
    });
    expect(scheduledSigningKeys(7, "rsa-2048", 2917 * 7 * DAY_MS).activeSigningKey).to.equal("r2917");
    expect(scheduledSigningKeys(7, "rsa-2048", 2917 * 7 * DAY_MS - 1).activeSigningKey).to.equal("r2916");
  });

  it("deployed once a period, a URL signed at any step verifies at the next two, however the deploys fall", async () => {
    const period = 2 * DAY_MS;
    const start = 10_000 * period;
    // One deploy per period, at its very end, its very start, its middle: the closest two deploys can be.
    const times = [
      start + period - 1,
      start + period,
      start + 2 * period + period / 2,
      start + 4 * period - 1,
      start + 4 * period,
      start + 5 * period + 1,
    ];
    const deployed: Deployed[] = [];
    for (const [i, at] of times.entries()) {
      deployed.push(await deployAt(i, at, { signingKeyRotationDays: 2, maxReadExpirySeconds: 2 * 86_400 }));
    }
    expect(deployed.map((d) => d.signer.keyPairId)).to.deep.equal([
      "K-rotating-public-key-r10000",
      "K-rotating-public-key-r10001",
      "K-rotating-public-key-r10002",
      "K-rotating-public-key-r10003",
      "K-rotating-public-key-r10004",
      "K-rotating-public-key-r10005",
    ]);
    for (let i = 0; i < deployed.length; i++) {
      const { signer } = deployed[i] as Deployed;
      expect((deployed[i] as Deployed).trusted.size).to.equal(3);
      for (const later of deployed.slice(i + 1, i + 3)) {
        expect(later.trusted.get(signer.keyPairId), `step ${i}`).to.equal(publicHalfOf(signer.privateKeyPem));
      }
    }
    // Three deploys later the key is gone, at least a whole period after it last signed.
    expect(deployed[3]?.trusted.has(deployed[0]?.signer.keyPairId ?? "")).to.equal(false);
    expect((times[3] ?? 0) - (times[1] ?? 0)).to.be.at.least(period);
  });

  const refused: Array<[SignedFileStoreArgs, string]> = [
    [
      { signingKeyRotationDays: 0 },
      "[signingKeyRotationDays] must be a whole number of days from 1 to 3650, got 0",
    ],
    [
      { signingKeyRotationDays: 1, maxReadExpirySeconds: 90_000 },
      "[signingKeyRotationDays] must be at least maxReadExpirySeconds (90000 s) long, so no key leaves the key group while a URL it signed is valid, got 1",
    ],
    [
      { signingKeyRotationDays: 7, signingKeys: [{ name: "a" }] },
      "[signingKeyRotationDays] names its own keys: leave signingKeys and activeSigningKey unset, got 7",
    ],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${JSON.stringify(args)}`, () => {
      expect(() => resolveArgs(args)).to.throw(Error, message);
    });
  }
});
