/**
 * The three properties a schedule of signing keys must keep over any sequence of deploys, checked
 * on what each deploy left behind: which key signs (its key pair ID and key material) and which
 * keys the distribution trusts.
 */
export interface DeployedKeys {
  /** The deploy's clock, milliseconds since the Unix epoch. */
  readonly at: number;
  /** The key pair ID the function signs with after this deploy. */
  readonly signer: string;
  /** The key material the signer's URLs are verified with. */
  readonly signerMaterial: string;
  /** Key pair ID → key material, for every key the distribution trusts after this deploy. */
  readonly trusted: ReadonlyMap<string, string>;
  /**
   * When the signer may first leave the group (ms): the function caps every URL it signs there
   * (functions/routes/reads.ts, cappedExpiry). Absent: URLs live their whole length.
   */
  readonly signerRetiresAt?: number;
}

export interface RotationRules {
  /** Strict bound on a read URL's life after it was signed (maxReadExpirySeconds plus its window), ms. */
  readonly longestUrlMs: number;
  /** When set, a key must be trusted this long before it signs (keys of the first deploy aside). */
  readonly publishedAheadMs?: number;
  /** Most keys in the key group. */
  readonly capacity: number;
}

/** Every broken property, in words naming the deploy; empty when the sequence is sound. */
export function rotationViolations(deploys: readonly DeployedKeys[], rules: RotationRules): string[] {
  const problems: string[] = [];
  const day = (at: number) => new Date(at).toISOString();
  const first = deploys[0];
  /** When each key (ID and material) was first in the group. */
  const publishedAt = new Map<string, number>();
  for (const d of deploys) {
    for (const [id, material] of d.trusted) {
      if (!publishedAt.has(`${id} ${material}`)) publishedAt.set(`${id} ${material}`, d.at);
    }
  }
  deploys.forEach((d, i) => {
    if (d.trusted.size > rules.capacity) problems.push(`${day(d.at)}: ${d.trusted.size} keys in the group`);
    if (d.trusted.get(d.signer) !== d.signerMaterial)
      problems.push(`${day(d.at)}: signs with an untrusted key`);
    const previous = deploys[i - 1];
    if (previous && previous.trusted.get(d.signer) !== d.signerMaterial) {
      problems.push(`${day(d.at)}: ${d.signer} signs but was not in the group at the previous deploy`);
    }
    if (rules.publishedAheadMs !== undefined && i > 0 && first && !first.trusted.has(d.signer)) {
      const since = publishedAt.get(`${d.signer} ${d.signerMaterial}`);
      if (since === undefined || d.at - since < rules.publishedAheadMs) {
        problems.push(`${day(d.at)}: ${d.signer} signs less than a period after it was published`);
      }
    }
    // A URL signed just before the next deploy replaced this signer lives until then plus the
    // longest URL, or until the signer's retirement when the function caps it there; every deploy
    // before that must still trust the signer with the same material.
    const next = deploys[i + 1];
    if (!next) return;
    const urlsExpire = Math.min(next.at + rules.longestUrlMs, d.signerRetiresAt ?? Number.POSITIVE_INFINITY);
    for (const later of deploys.slice(i + 1)) {
      if (later.at >= urlsExpire) break;
      if (later.trusted.get(d.signer) !== d.signerMaterial) {
        problems.push(
          `${day(later.at)}: ${d.signer}, which signed until ${day(next.at)}, left the group before its URLs expired`,
        );
      }
    }
  });
  return problems;
}

/** A deterministic pseudo-random sequence in [0, 1) (mulberry32), so a failing pattern can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
