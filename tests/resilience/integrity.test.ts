import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import {
  md5,
  pool,
  prng,
  randomBody,
  read,
  type StackProcess,
  startStackProcess,
  upload,
} from "./stack-process";

const WRITERS = 8;
const ROUNDS = 40;
const UPLOADS = 200;

describe("resilience: concurrent writes", function () {
  this.timeout(180_000);
  let dir: string;
  let stack: StackProcess;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-integrity-"));
    stack = await startStackProcess(dir);
  });
  after(async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${WRITERS} writers racing on one key, ${ROUNDS} rounds: every read is one writer's whole body, MD5 = ETag`, async () => {
    const random = prng(20261123);
    let reads = 0;
    let torn = 0;
    let badEtag = 0;
    const failures: string[] = [];
    // The bodies last written to each key: reads overlapping a round may still see one of those whole.
    const previousByKey = new Map<string, Map<string, Buffer>>();
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const key = `race/key-${round % 4}.bin`;
      const previous = previousByKey.get(key) ?? new Map<string, Buffer>();
      // Different sizes, so a body glued to another's metadata cannot pass for a whole one.
      const bodies = Array.from({ length: WRITERS }, (_, w) =>
        randomBody(random, 16 * 1024 + Math.floor(random() * 512 * 1024), `round ${round} writer ${w}`),
      );
      const byMd5 = new Map(bodies.map((b) => [md5(b), b]));
      const check = async (label: string) => {
        const answer = await read(stack.api, key);
        if (answer.status === 404 && previous.size === 0) return;
        reads += 1;
        const sum = md5(answer.body);
        if (answer.status !== 200 || !byMd5.has(sum)) {
          if (answer.status === 200 && previous.has(sum)) return;
          torn += 1;
          failures.push(`${label}: status ${answer.status}, ${answer.body.length} bytes, md5 ${sum}`);
          return;
        }
        if (answer.etag !== `"${sum}"`) {
          badEtag += 1;
          failures.push(`${label}: ETag ${answer.etag} for a body with MD5 ${sum}`);
        }
      };
      const writes = bodies.map((body) => upload(stack.api, key, body));
      const racingReads = [check(`round ${round} during`), check(`round ${round} during`)];
      const statuses = await Promise.all(writes);
      await Promise.all(racingReads.map((p) => p.catch((e: unknown) => failures.push(String(e)))));
      expect(statuses.map((s) => s.status)).to.deep.equal(new Array(WRITERS).fill(200));
      for (let i = 0; i < 2; i++) await check(`round ${round} after`);
      previousByKey.set(key, byMd5);
    }
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `      race: ${ROUNDS} rounds x ${WRITERS} writers = ${ROUNDS * WRITERS} uploads, ${reads} reads checked, ` +
        `${torn} torn, ${badEtag} ETag mismatches, ${((ROUNDS * WRITERS) / seconds).toFixed(0)} uploads/s\n`,
    );
    expect(failures.slice(0, 5)).to.deep.equal([]);
    expect({ torn, badEtag }).to.deep.equal({ torn: 0, badEtag: 0 });
    expect(stack.alive()).to.equal(true);
  });
  it(`${UPLOADS} concurrent uploads: 0 lost, all byte-identical afterwards`, async () => {
    const random = prng(200);
    const bodies = Array.from({ length: UPLOADS }, (_, i) =>
      randomBody(random, 1024 + Math.floor(random() * 256 * 1024), `upload ${i}`),
    );
    const started = Date.now();
    const acks = await Promise.all(bodies.map((body, i) => upload(stack.api, `many/${i}.bin`, body)));
    const uploadSeconds = (Date.now() - started) / 1000;
    const acknowledged = acks.filter((a) => a.status === 200).length;
    const reads = await pool(
      bodies.map((_, i) => () => read(stack.api, `many/${i}.bin`)),
      32,
    );
    const lost = reads.filter((r, i) => r.status !== 200 || !r.body.equals(bodies[i] as Buffer)).length;
    process.stdout.write(
      `      concurrent uploads: ${UPLOADS} sent at once, ${acknowledged} acknowledged, ${lost} lost, ` +
        `${(UPLOADS / uploadSeconds).toFixed(0)} uploads/s\n`,
    );
    expect({ acknowledged, lost }).to.deep.equal({ acknowledged: UPLOADS, lost: 0 });
    expect(stack.alive()).to.equal(true);
  });
});
