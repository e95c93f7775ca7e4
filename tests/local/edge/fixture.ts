import { generateKeyPairSync } from "node:crypto";
import { signCloudFrontUrl } from "../../../functions/signers/cloudfront-signer";
import { type EdgeOptions, type RunningEdge, startEdge } from "../../../local/edge/server";
import { type FakeOrigin, startFakeOrigin } from "./fake-s3-origin";

export const BUCKET = "edge-bucket";
const KEY_PAIR_ID = "KEDGETEST";
/** 2026-11-23T12:00:00Z: every URL and answer in these tests is computed from this instant. */
export const NOW = new Date("2026-11-23T12:00:00Z");
export const EXPIRES = Math.floor(NOW.getTime() / 1000) + 300;

export interface EdgeFixture {
  readonly edge: RunningEdge;
  readonly origin: FakeOrigin;
  /** A signed URL for `pathAndQuery` (already percent-encoded), valid until `expires`. */
  sign(pathAndQuery: string, expires?: number): string;
  close(): Promise<void>;
}

/** With `start` (another way to run the edge, such as a worker thread) the edge keeps real time. */
export async function startEdgeFixture(
  options: Partial<EdgeOptions> = {},
  start?: (options: EdgeOptions) => Promise<RunningEdge>,
): Promise<EdgeFixture> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const origin = await startFakeOrigin(BUCKET);
  const edge = await (start ?? startEdge)({
    origin: { bucket: BUCKET, region: "us-east-1", endpoint: origin.url },
    credentials: { accessKeyId: "EDGEREADER", secretAccessKey: "edge-secret" },
    publicKeys: new Map([[KEY_PAIR_ID, publicKey]]),
    ...(start ? {} : { clock: () => NOW }),
    ...options,
  });
  return {
    edge,
    origin,
    sign: (pathAndQuery, expires = EXPIRES) =>
      signCloudFrontUrl(`${edge.url}${pathAndQuery}`, { keyPairId: KEY_PAIR_ID, privateKey }, expires),
    async close() {
      await edge.close();
      await origin.close();
    },
  };
}
