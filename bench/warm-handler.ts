/**
 * A warm execution environment: the whole handler answering GET redirects, version lookup included
 * (against an in-memory store), as a ratio to the raw ECDSA signature it cannot go faster than; and
 * what the per-request log line costs, ours against the generic `JSON.stringify` line it replaced.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { parseHandlerConfig } from "../functions/config";
import { createHandler } from "../functions/handler";
import type { ObjectInfo, ObjectLookup } from "../functions/s3/objects";
import { cannedPolicy } from "../functions/signers/cloudfront-signer";
import { deferredWriter, jsonLogger, type Logger } from "../functions/telemetry/log";
import { functionUrlEvent } from "../tests/support/events";
import { answerRates, line, ratios, showSpread, spread } from "./stats";
import { getSteps } from "./warm-steps";

const ROUNDS = 7;
const MILLIS = 300;
const KEY = "photos/cat.png";
const CDN = "https://d111111abcdef8.cloudfront.net";

export async function warmHandler(): Promise<void> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const config = parseHandlerConfig({
    s3: { bucket: "files-bucket", region: "eu-west-1" },
    cdnBaseUrl: CDN,
    cdn: { distributionId: "E2BENCHDIST" },
    keyPairId: "K2JCJMDEHXQW5F",
    hashAlgorithm: "SHA256",
    expirySeconds: 300,
    auth: { mode: "public" },
  });
  const object: ObjectInfo = {
    key: KEY,
    size: 1024,
    etag: '"e1"',
    versionId: "3HL4kqtJvjVBH40Nrjfkd",
    contentType: "image/png",
  };
  const objects: ObjectLookup = {
    head: async (key) => (key === KEY || key.startsWith("many/") ? { ...object, key } : undefined),
  };
  const devNull = openSync("/dev/null", "w");
  const loggers: Record<"none" | "generic" | "ours", Logger> = {
    none: { log: () => {} },
    // The line as it was written before: the fields spread into a new object for JSON.stringify.
    generic: {
      log: (level, message, fields = {}) => {
        writeSync(
          devNull,
          `${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`,
        );
      },
    },
    // As the function writes to stdout: each turn's lines in one write, once the answer is out.
    ours: jsonLogger(deferredWriter((text) => writeSync(devNull, text))),
  };
  const handlerWith = (log: Logger) =>
    createHandler({
      config,
      signingKey: async () => ({ keyPairId: config.keyPairId, privateKey }),
      credentials: async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" }),
      objects,
      log,
    });
  const handlers = {
    none: handlerWith(loggers.none),
    generic: handlerWith(loggers.generic),
    ours: handlerWith(loggers.ours),
  };
  const event = functionUrlEvent("GET", `/${KEY}`);
  for (const handle of Object.values(handlers)) {
    const answer = await handle(event);
    if (answer.statusCode !== 307) throw new Error(`the GET answered ${answer.statusCode}: ${answer.body}`);
  }
  const policy = Buffer.from(cannedPolicy(`${CDN}/${KEY}?versionId=${object.versionId}`, 1795341900));

  // A key never asked for before on each call, so every contender signs every time: a key space
  // shared by the contenders and cycled through would let one contender find keys another's turn
  // left in its own memo of signed URLs, and the contenders would not be doing the same work.
  const fresh = () => {
    let n = 0;
    return () => functionUrlEvent("GET", `/many/${n++}.png`);
  };
  const nextKey = {
    none: fresh(),
    generic: fresh(),
    ours: fresh(),
    raw: fresh(),
    steps: fresh(),
    stepsMemo: fresh(),
    stepsMemoLog: fresh(),
  };
  const stepOptions = {
    cdnBaseUrl: CDN,
    expirySeconds: config.expirySeconds,
    key: { keyPairId: config.keyPairId, privateKey },
    objects,
  };
  const steps = {
    alone: getSteps(stepOptions, { memo: false }),
    memo: getSteps(stepOptions, { memo: true }),
    memoLog: getSteps(stepOptions, { memo: true, log: loggers.ours }),
  };

  // Every call is its own turn of the event loop, as requests arriving over the network are.
  const r = await answerRates(
    {
      // The event is made here too, so that making it is in every contender's time alike.
      rawSign: () => nextKey.raw() && sign("sha256", policy, privateKey),
      memoNone: () => handlers.none(event),
      memoGeneric: () => handlers.generic(event),
      memoOurs: () => handlers.ours(event),
      signNone: () => handlers.none(nextKey.none()),
      signGeneric: () => handlers.generic(nextKey.generic()),
      signOurs: () => handlers.ours(nextKey.ours()),
      steps: () => steps.alone(nextKey.steps()),
      stepsMemo: () => steps.memo(nextKey.stepsMemo()),
      stepsMemoLog: () => steps.memoLog(nextKey.stepsMemoLog()),
    },
    ROUNDS,
    MILLIS,
  );
  closeSync(devNull);
  const perSecond = (values: number[]) => showSpread(spread(values), 0, "/s");
  const ratio = (a: number[], b: number[]) => showSpread(spread(ratios(a, b)));
  const share = (withLog: number[], without: number[]) =>
    showSpread(spread(ratios(withLog, without).map((x) => (1 - x) * 100)), 1, " %");
  console.log(`Warm handler, ${ROUNDS} rounds taking turns, one request per turn of the event loop`);
  line("raw ECDSA P-256 signature (node:crypto sign)", perSecond(r.rawSign.answer));
  line("GET that looks the version up and signs (log line on)", perSecond(r.signOurs.answer));
  line("GET answered from the memo of signed URLs (log line on)", perSecond(r.memoOurs.answer));
  line("GET that signs / raw ECDSA signature", ratio(r.signOurs.answer, r.rawSign.answer));
  line("GET from the memo / raw ECDSA signature", ratio(r.memoOurs.answer, r.rawSign.answer));
  console.log("  The GET's own steps without the handler around them, each stage / raw ECDSA signature");
  line("key, lookup, policy, signature, redirect", ratio(r.steps.answer, r.rawSign.answer));
  line("the same and the memo of signed URLs", ratio(r.stepsMemo.answer, r.rawSign.answer));
  line("the same, the memo and the log line", ratio(r.stepsMemoLog.answer, r.rawSign.answer));
  console.log(
    "  The per-request log line: share of the time to answer (share of all the work, deferred write too)",
  );
  line(
    "our line, GET that signs",
    `${share(r.signOurs.answer, r.signNone.answer)}  (${share(r.signOurs.whole, r.signNone.whole)})`,
  );
  line(
    "generic JSON.stringify line written at once, GET that signs",
    `${share(r.signGeneric.answer, r.signNone.answer)}  (${share(r.signGeneric.whole, r.signNone.whole)})`,
  );
  line(
    "our line, GET from the memo",
    `${share(r.memoOurs.answer, r.memoNone.answer)}  (${share(r.memoOurs.whole, r.memoNone.whole)})`,
  );
  line(
    "generic line, GET from the memo",
    `${share(r.memoGeneric.answer, r.memoNone.answer)}  (${share(r.memoGeneric.whole, r.memoNone.whole)})`,
  );
}
