import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { type LocalStack, startLocalStack } from "../../../local/stack/stack";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in the assertions, each against an exact value.
type Json = any;

/**
 * Two moves of one source sent at once to the local stack, round after round, over HTTP: whatever
 * the interleaving, one moves the source and the other changes nothing. The loser either found no
 * source (404), or copied it and took its copy back (412); its destination never keeps the copy.
 * tests/functions/routes/files.test.ts forces the interleaving where both copy first.
 */
describe("two parallel moves of one source on the local stack", function () {
  this.timeout(120_000);
  let dataDir: string;
  let stack: LocalStack;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sfs-move-race-"));
    stack = await startLocalStack({ dataDir, apiPort: 0, log: () => {} });
  });
  after(async () => {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const api = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const versions = async (key: string) =>
    (await api("GET", `/${key}?versions`)).body.versions.length as number;

  it("one move wins each round; the loser's destination is never left holding the source", async () => {
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 12; round++) {
      const bytes = randomBytes(2000);
      const put = await api("PUT", `/race/${round}/src.bin`);
      expect(
        (await fetch(put.body.url, { method: "PUT", headers: put.body.headers, body: bytes })).status,
      ).to.equal(200);
      const [a, b] = await Promise.all(
        ["a", "b"].map((to) => api("POST", `/race/${round}/src.bin?move`, { to: `race/${round}/${to}.bin` })),
      );
      const results = [a, b].map((r) => r?.status ?? 0);
      expect(
        results.filter((s) => s === 200),
        `round ${round}: ${JSON.stringify([a?.body, b?.body])}`,
      ).to.have.length(1);
      const winner = a?.status === 200 ? "a" : "b";
      const loser = winner === "a" ? b : a;
      const loserKey = `race/${round}/${winner === "a" ? "b" : "a"}.bin`;
      const kind =
        loser?.status === 412
          ? "copied, then took its copy back (412)"
          : loser?.status === 404
            ? "found nothing to move (404)"
            : `answered ${loser?.status}`;
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      expect([404, 412], JSON.stringify(loser?.body)).to.include(loser?.status);
      if (loser?.status === 412) {
        expect(loser.body.error.message).to.equal(
          `race/${round}/src.bin changed while it was moved (another request wrote, moved or deleted it), so it was not deleted; the copy was taken back, so ${loserKey} is as it was`,
        );
      }
      expect(await versions(loserKey), `round ${round}: ${loserKey}`).to.equal(0);
      expect(await versions(`race/${round}/${winner}.bin`)).to.equal(1);
      expect((await api("GET", `/race/${round}/src.bin`)).status).to.equal(404);
    }
    // What the rounds saw, for the record: how often both moves got as far as copying.
    console.log(`      ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });
});
