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

const MiB = 1024 * 1024;

/** A body sent in 64 KiB chunks with a pause between them, so uploads are still in flight at a kill. */
async function* slowly(body: Buffer, pauseMs: number): AsyncIterable<Buffer> {
  for (let i = 0; i < body.length; i += 64 * 1024) {
    yield body.subarray(i, i + 64 * 1024);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

describe("resilience: faults", function () {
  this.timeout(240_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sfs-faults-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("kill -9 of the stack mid-upload: after a restart, 0 acknowledged uploads lost, 0 torn", async () => {
    const UPLOADS = 60;
    const random = prng(9);
    const bodies = Array.from({ length: UPLOADS }, (_, i) =>
      randomBody(random, 256 * 1024 + Math.floor(random() * 1.5 * MiB), `crash upload ${i}`),
    );
    let stack: StackProcess = await startStackProcess(dir);
    const acknowledged = new Set<number>();
    let refused = 0;
    const uploads = bodies.map((body, i) =>
      // Staggered starts and paces: at the kill some uploads are done, some half-sent, some not begun.
      new Promise((resolve) => setTimeout(resolve, i * 30))
        .then(() =>
          upload(stack.api, `crash/${i}.bin`, {
            length: body.length,
            chunks: slowly(body, 10 + 5 * (i % 5)),
          }),
        )
        .then(
          (answer) => {
            if (answer.status === 200 && answer.etag === `"${md5(body)}"`) acknowledged.add(i);
            else refused += 1;
          },
          () => undefined,
        ),
    );
    // Kill once a third of the uploads are acknowledged, with the rest still streaming.
    while (acknowledged.size < UPLOADS / 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await stack.kill9();
    await Promise.all(uploads);
    // Every 200 that reached the client counts, including one sent just before the process died.
    const atKill = acknowledged.size;

    stack = await startStackProcess(dir);
    try {
      const reads = await pool(
        bodies.map((_, i) => () => read(stack.api, `crash/${i}.bin`)),
        16,
      );
      const lost = [...acknowledged].filter((i) => {
        const r = reads[i];
        return r?.status !== 200 || !r.body.equals(bodies[i] as Buffer);
      });
      // Not acknowledged: absent, or present whole (the last bytes arrived before the kill).
      const torn = reads.filter(
        (r, i) =>
          !acknowledged.has(i) &&
          r.status !== 404 &&
          !(r.status === 200 && r.body.equals(bodies[i] as Buffer)),
      );
      const present = reads.filter((r, i) => !acknowledged.has(i) && r.status === 200).length;
      process.stdout.write(
        `      kill -9: ${UPLOADS} uploads, ${atKill} acknowledged, ${refused} refused, ` +
          `${UPLOADS - atKill - refused} cut off; after restart ${lost.length} acknowledged lost, ` +
          `${torn.length} torn, ${present} unacknowledged present whole\n`,
      );
      expect(UPLOADS - atKill - refused, "uploads in flight at the kill").to.be.above(0);
      expect({ lost: lost.length, torn: torn.length }).to.deep.equal({ lost: 0, torn: 0 });
      // And the restarted stack takes new uploads.
      expect((await upload(stack.api, "crash/after.bin", Buffer.from("after the crash"))).status).to.equal(
        200,
      );
    } finally {
      await stack.stop();
    }
  });
});
