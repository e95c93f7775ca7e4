import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SignedFileStore, type SignedFileStoreArgs, signingKeysFromConfig } from "../../components";
import {
  DAY_SECONDS,
  longestReadUrlSeconds,
  periodOf,
  scheduledSigningKeys,
} from "../../components/args/key-schedule";
import { resolveArgs } from "../../components/args/resolve";
import { type RecordedResource, resourcesOf, settled, single, useStack } from "../support/pulumi-mocks";
import { type DeployedKeys, rotationViolations, seededRandom } from "../support/rotation-checks";

const DAY_MS = DAY_SECONDS * 1000;
const HOUR_MS = 3_600_000;

/** The logical names each child was told to wait for (`dependsOn`), by the child's logical name. */
const dependencies = new Map<string, string[]>();
const recordDependencies: pulumi.ResourceTransformation = ({ name, opts }) => {
  const dependsOn = opts.dependsOn === undefined ? [] : [opts.dependsOn].flat();
  dependencies.set(
    name,
    (dependsOn as pulumi.Resource[]).map((r) => pulumi.resourceName(r)),
  );
  return undefined;
};

let deploys = 0;
/**
 * One `pulumi up` of the same stack with `args`, as a separate program run: its own stack under the
 * mocks, so each deploy's resources can be read apart. Resources keep their logical names across
 * deploys, as they would in one stack's state.
 */
async function deploy(args: SignedFileStoreArgs): Promise<DeployedKeys & { resources: RecordedResource[] }> {
  const stack = `rotation-${deploys++}`;
  useStack(stack);
  try {
    new SignedFileStore("rotating", args, { transformations: [recordDependencies] });
    await settled();
  } finally {
    useStack("test");
  }
  const resources = resourcesOf("rotating", stack);
  const idOf = (r: RecordedResource) => `K-${r.name}`;
  const items = single(resources, "aws:cloudfront/keyGroup:KeyGroup").inputs.items as string[];
  const trusted = new Map(
    resources
      .filter((r) => r.type === "aws:cloudfront/publicKey:PublicKey" && items.includes(idOf(r)))
      .map((k) => [idOf(k), String(k.inputs.encodedKey)]),
  );
  const { keyPairId, privateKeyPem, retiresAt } = JSON.parse(
    String(single(resources, "aws:ssm/parameter:Parameter").inputs.value),
  ) as { keyPairId: string; privateKeyPem: string; retiresAt?: string };
  return {
    at: Number(args.clock?.() ?? Date.now()),
    signer: keyPairId,
    signerMaterial: publicHalfOf(privateKeyPem),
    trusted,
    ...(retiresAt === undefined ? {} : { signerRetiresAt: Date.parse(retiresAt) }),
    resources,
  };
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
    const deployed: DeployedKeys[] = [];
    for (const [, keys, active] of steps) {
      deployed.push(
        await deploy({
          signingKeys: signingKeysFromConfig(keys, "ecdsa-p256"),
          ...(active ? { activeSigningKey: active } : {}),
        }),
      );
    }
    expect(deployed.map((d) => d.signer)).to.deep.equal([
      "K-rotating-public-key-a",
      "K-rotating-public-key-a",
      "K-rotating-public-key-b",
      "K-rotating-public-key-b",
    ]);
    for (let i = 1; i < deployed.length; i++) {
      const { signer, signerMaterial } = deployed[i - 1] as DeployedKeys;
      const next = deployed[i] as DeployedKeys;
      // The next key group still holds the key pair ID a URL from the step before names, with the
      // public half of the private key that signed it.
      expect(next.trusted.get(signer), `step ${i}: ${steps[i]?.[0]}`).to.equal(signerMaterial);
      // And the key that signs now is trusted now.
      expect(next.trusted.get(next.signer)).to.equal(next.signerMaterial);
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

describe("the signing key schedule", () => {
  it("names the period's key, the two before it and the two after it; the period's key signs", () => {
    // 2026-11-23T12:00:00Z is day 20780.5 since the epoch: period 2968 of 7 days.
    expect(scheduledSigningKeys(7, "ecdsa-p256", Date.UTC(2026, 10, 23, 12))).to.deep.equal({
      period: 2968,
      signingKeys: ["r2966", "r2967", "r2968", "r2969", "r2970"].map((name) => ({
        name,
        algorithm: "ecdsa-p256",
      })),
      activeSigningKey: "r2968",
      // The first instant of period 2971, when a deploy may first drop r2968.
      retiresAtMs: 2971 * 7 * DAY_MS,
    });
    expect(scheduledSigningKeys(7, "rsa-2048", 2917 * 7 * DAY_MS).activeSigningKey).to.equal("r2917");
    expect(scheduledSigningKeys(7, "rsa-2048", 2917 * 7 * DAY_MS - 1).activeSigningKey).to.equal("r2916");
  });

  it("bounds a read URL's life by its expiry plus the window the function rounds it up to", () => {
    // functions/routes/read-url.ts: the window is a fifth of the expiry, from 1 s to an hour.
    expect(longestReadUrlSeconds(86_400)).to.equal(90_000);
    expect(longestReadUrlSeconds(604_800)).to.equal(608_400);
    expect(longestReadUrlSeconds(300)).to.equal(360);
    expect(longestReadUrlSeconds(4)).to.equal(5);
  });

  const refused: Array<[SignedFileStoreArgs, string]> = [
    [
      { signingKeyRotationDays: 0 },
      "[signingKeyRotationDays] must be a whole number of days from 1 to 3650, got 0",
    ],
    [
      // A one-day share link is valid for up to 25 hours (rounded up to the hour): a one-day period
      // would drop its key while it is still valid.
      { signingKeyRotationDays: 1 },
      "[signingKeyRotationDays] must cover the longest read URL, maxReadExpirySeconds (86400 s) plus the 3600 s window its expiry is rounded up to: at least 2 days, got 1",
    ],
    [
      { signingKeyRotationDays: 7, maxReadExpirySeconds: 604_800 },
      "[signingKeyRotationDays] must cover the longest read URL, maxReadExpirySeconds (604800 s) plus the 3600 s window its expiry is rounded up to: at least 8 days, got 7",
    ],
    [
      { signingKeyRotationDays: 7, signingKeys: [{ name: "a" }] },
      "[signingKeyRotationDays] names its own keys: leave signingKeys and activeSigningKey unset, got 7",
    ],
    [
      { signingKeyRotationDays: 7, clock: () => -1 },
      "[clock] must answer milliseconds since the Unix epoch, got -1",
    ],
    [
      { signingKeyRotationDays: 7, clock: () => Number.NaN },
      "[clock] must answer milliseconds since the Unix epoch, got null",
    ],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${message.slice(0, 70)}`, () => {
      expect(() => resolveArgs(args)).to.throw(Error, message);
    });
  }

  it("reads the clock as milliseconds or as a Date", () => {
    const at = Date.UTC(2026, 10, 23, 12);
    const fromDate = resolveArgs({ signingKeyRotationDays: 7, clock: () => new Date(at) });
    const fromMs = resolveArgs({ signingKeyRotationDays: 7, clock: () => at });
    expect(fromDate.signing).to.deep.equal(fromMs.signing);
    expect(fromMs.signing.mode === "own" && fromMs.signing.active).to.equal("r2968");
  });

  it("accepts a period exactly as long as the longest read URL", () => {
    // 82800 s (23 h) is rounded up to the hour: 24 h, one day.
    const config = resolveArgs({ signingKeyRotationDays: 1, maxReadExpirySeconds: 82_800, clock: () => 0 });
    expect(config.signing).to.deep.equal({
      mode: "own",
      keys: ["r-2", "r-1", "r0", "r1", "r2"].map((name) => ({ name, algorithm: "ecdsa-p256" })),
      active: "r0",
      retiresAtMs: 3 * DAY_MS,
    });
    expect(() => resolveArgs({ signingKeyRotationDays: 1, maxReadExpirySeconds: 82_801 })).to.throw(
      Error,
      "at least 2 days, got 1",
    );
  });
});

/** What the schedule alone decides for a deploy at `at`: key names stand for key pair IDs and material. */
function scheduled(rotationDays: number, at: number, capped = true): DeployedKeys {
  const { signingKeys, activeSigningKey, retiresAtMs } = scheduledSigningKeys(rotationDays, "ecdsa-p256", at);
  return {
    at,
    signer: activeSigningKey,
    signerMaterial: activeSigningKey,
    trusted: new Map(signingKeys.map((k) => [k.name, k.name])),
    ...(capped ? { signerRetiresAt: retiresAtMs } : {}),
  };
}

const START = Date.UTC(2026, 0, 1, 9, 30);

/** Deploys every `stepMs` from `start` for `days` days, but none in [skipFrom, skipTo). */
function every(stepMs: number, days: number, skip?: readonly [number, number], start = START): number[] {
  const times: number[] = [];
  for (let at = start; at < start + days * DAY_MS; at += stepMs) {
    if (skip && at >= skip[0] && at < skip[1]) continue;
    times.push(at);
  }
  return times;
}

/** The start of the first whole period of `days` days at least `afterDays` into the sequence. */
const periodStart = (days: number, afterDays: number) =>
  (periodOf(days, START + afterDays * DAY_MS) + 1) * days * DAY_MS;

interface Pattern {
  readonly name: string;
  readonly rotationDays: number;
  readonly maxReadExpirySeconds: number;
  readonly times: readonly number[];
  /** Whether every period holds a deploy, which the published-a-period-ahead rule needs. */
  readonly everyPeriod: boolean;
}

const SEVEN = 7 * DAY_MS;
const random = seededRandom(18);
const PATTERNS: Pattern[] = [
  {
    name: "daily, weekly keys",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: every(DAY_MS, 420),
    everyPeriod: true,
  },
  {
    name: "weekly, weekly keys",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: every(SEVEN, 420),
    everyPeriod: true,
  },
  {
    name: "weekly with one week missed",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: every(SEVEN, 420, [START + 200 * DAY_MS, START + 207 * DAY_MS]),
    everyPeriod: false,
  },
  {
    name: "daily with one whole period missed",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: every(DAY_MS, 420, [periodStart(7, 150), periodStart(7, 150) + SEVEN]),
    everyPeriod: false,
  },
  {
    name: "daily, two-day keys and one-day links, one period missed",
    rotationDays: 2,
    maxReadExpirySeconds: 86_400,
    times: every(DAY_MS, 410, [periodStart(2, 100), periodStart(2, 100) + 2 * DAY_MS]),
    everyPeriod: false,
  },
  {
    name: "hourly for 400 days, two-day keys",
    rotationDays: 2,
    maxReadExpirySeconds: 86_400,
    times: every(HOUR_MS, 400),
    everyPeriod: true,
  },
  {
    name: "monthly keys, week-long links, daily deploys",
    rotationDays: 30,
    maxReadExpirySeconds: 604_800,
    times: every(DAY_MS, 730),
    everyPeriod: true,
  },
  {
    name: "once a period at its last and first millisecond, in turn",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: Array.from({ length: 60 }, (_, i) => (periodOf(7, START) + i + 1) * SEVEN - (i % 2 === 0 ? 1 : 0)),
    everyPeriod: true,
  },
  {
    name: "400 days of random gaps of up to a period",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: randomTimes(SEVEN, 400),
    everyPeriod: true,
  },
  {
    name: "400 days of random gaps of up to two periods less the longest URL",
    rotationDays: 7,
    maxReadExpirySeconds: 86_400,
    times: randomTimes(2 * SEVEN - longestReadUrlSeconds(86_400) * 1000, 400),
    everyPeriod: false,
  },
];

/** Deploys at random gaps of at most `maxGapMs`, over `days` days. */
function randomTimes(maxGapMs: number, days: number): number[] {
  const times = [START];
  while ((times.at(-1) ?? START) < START + days * DAY_MS) {
    times.push((times.at(-1) ?? START) + 1 + Math.floor(random() * maxGapMs));
  }
  return times;
}

describe("the signing key schedule over more than a year of deploys", () => {
  for (const p of PATTERNS) {
    it(`${p.name}: ${p.times.length} deploys, every signer published ahead, no URL broken, at most 5 keys`, () => {
      expect((p.times.at(-1) ?? 0) - (p.times[0] ?? 0)).to.be.at.least(399 * DAY_MS);
      const deployed = p.times.map((at) => scheduled(p.rotationDays, at));
      expect(
        rotationViolations(deployed, {
          longestUrlMs: longestReadUrlSeconds(p.maxReadExpirySeconds) * 1000,
          capacity: 5,
          ...(p.everyPeriod ? { publishedAheadMs: p.rotationDays * DAY_MS } : {}),
        }),
      ).to.deep.equal([]);
      // The keys did rotate: one signer per period the deploys reached.
      const signers = new Set(deployed.map((d) => d.signer));
      const periods = new Set(p.times.map((at) => periodOf(p.rotationDays, at)));
      expect(signers.size).to.equal(periods.size);
    });
  }

  it("after gaps of up to five periods, no URL breaks: the function caps each URL at its key's retirement", () => {
    const gaps = [100, 200, 300].map((day) => periodStart(7, day) - DAY_MS);
    const times = every(DAY_MS, 420).filter(
      (at) => !gaps.some((from, i) => at >= from && at < from + (i + 3) * SEVEN),
    );
    const rules = { longestUrlMs: longestReadUrlSeconds(86_400) * 1000, capacity: 5 };
    const broken = (capped: boolean) =>
      rotationViolations(
        times.map((at) => scheduled(7, at, capped)),
        rules,
      )
        .filter((p) => p.includes("left the group before its URLs expired"))
        .map((p) => p.split(" ")[1]);
    // Without the cap, URLs signed late in each gap outlive their key (one key a gap); with it, none does.
    expect(new Set(broken(false)).size).to.equal(3);
    expect(broken(true)).to.deep.equal([]);
    // What no schedule that sees only the clock can keep: the deploy that ends a gap longer than two
    // periods signs with a key the group did not hold before it (docs/operations.md says so).
    const fresh = rotationViolations(
      times.map((at) => scheduled(7, at)),
      rules,
    ).filter((p) => p.includes("was not in the group at the previous deploy"));
    expect(fresh).to.have.length(3);
  });

  it("catches what breaks a URL: a key dropped the deploy after it stopped signing", () => {
    // The checker must fail on a schedule that keeps no key after its period.
    const naive = every(DAY_MS, 30).map((at): DeployedKeys => {
      const period = `r${periodOf(7, at)}`;
      return { at, signer: period, signerMaterial: period, trusted: new Map([[period, period]]) };
    });
    const problems = rotationViolations(naive, { longestUrlMs: 90_000_000, capacity: 5 });
    expect(problems.length).to.be.greaterThan(0);
    expect(problems.some((p) => p.includes("was not in the group at the previous deploy"))).to.equal(true);
    expect(problems.some((p) => p.includes("left the group before its URLs expired"))).to.equal(true);
  });
});

describe("the store's own rotating keys, deployed under mocks", function () {
  // Each deploy registers the whole store (about 30 resources); ninety of them take seconds.
  this.timeout(120_000);

  /**
   * Weekly deploys over 400 days with one week missed, and from day 260 to 290 daily deploys with
   * one whole period missed: every deploy goes through the component, with the clock injected.
   */
  const missedPeriod = periodStart(7, 266);
  const times = [
    ...every(SEVEN, 400, [START + 200 * DAY_MS, START + 207 * DAY_MS]).filter(
      (at) => at < START + 260 * DAY_MS || at >= START + 290 * DAY_MS,
    ),
    ...every(DAY_MS, 30, [missedPeriod, missedPeriod + SEVEN], START + 260 * DAY_MS),
  ].sort((a, b) => a - b);
  let deployed: Array<Awaited<ReturnType<typeof deploy>>>;
  const stackTraceLimit = Error.stackTraceLimit;

  before(async () => {
    // The SDK takes a stack trace for every resource and promise; with source maps on, formatting
    // them is most of a deploy's time under the mocks. Failures here are read from the assertions.
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 1;
    deployed = [];
    for (const at of times) {
      deployed.push(await deploy({ signingKeyRotationDays: 7, clock: () => at }));
    }
  });

  after(() => {
    process.setSourceMapsEnabled(true);
    Error.stackTraceLimit = stackTraceLimit;
  });

  it("deploys exactly what the schedule names: five keys, the period's own signing", () => {
    expect(deployed.length).to.equal(times.length);
    for (const d of deployed) {
      const { signingKeys, activeSigningKey } = scheduledSigningKeys(7, "ecdsa-p256", d.at);
      expect([...d.trusted.keys()]).to.deep.equal(signingKeys.map((k) => `K-rotating-public-key-${k.name}`));
      expect(d.signer).to.equal(`K-rotating-public-key-${activeSigningKey}`);
      // The parameter carries when that key may first leave the group: the function caps its URLs there.
      expect(d.signerRetiresAt).to.equal(scheduledSigningKeys(7, "ecdsa-p256", d.at).retiresAtMs);
      expect(d.resources.filter((r) => r.type === "aws:cloudfront/publicKey:PublicKey")).to.have.length(5);
      expect(d.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey")).to.have.length(5);
    }
  });

  it("keeps every property over 400 days, the missed week and the missed period included", () => {
    expect(deployed.length).to.be.greaterThan(75);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).to.be.at.least(399 * DAY_MS);
    // Both gaps are in the sequence: more than a week without a deploy, twice.
    const gaps = times.slice(1).map((at, i) => at - (times[i] ?? 0));
    expect(gaps.filter((g) => g > SEVEN)).to.have.length(2);
    expect(
      rotationViolations(deployed, { longestUrlMs: longestReadUrlSeconds(86_400) * 1000, capacity: 5 }),
    ).to.deep.equal([]);
  });

  it("writes the signing key parameter only after the key group", () => {
    expect(dependencies.get("rotating-signing-key")).to.deep.equal(["rotating-key-group"]);
  });
});
