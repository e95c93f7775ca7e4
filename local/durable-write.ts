import { createHash } from "node:crypto";
import { createWriteStream, promises as fs } from "node:fs";
import { pipeline } from "node:stream/promises";

/**
 * Streams a request body into a new file and fsyncs it, hashing as it goes. Rejects (leaving the
 * file for the caller to remove) when the body ends short of the declared length, so a cut-off
 * upload is never acknowledged.
 */
export async function writeDurably(
  body: AsyncIterable<Buffer>,
  file: string,
  expectedLength: number | undefined,
): Promise<{ md5: string; size: number }> {
  const md5 = createHash("md5");
  let size = 0;
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        md5.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file, { flags: "wx" }),
  );
  if (expectedLength !== undefined && expectedLength !== size) {
    throw new Error(`body ended after ${size} of ${expectedLength} bytes`);
  }
  const handle = await fs.open(file, "r");
  await handle.sync();
  await handle.close();
  return { md5: md5.digest("hex"), size };
}
