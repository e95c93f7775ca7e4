import type { promises as fs } from "node:fs";
import { Readable } from "node:stream";
import type { ObjectVersion } from "./versions";

const READ_BYTES = 1024 * 1024;

/** A version's files held open; `stream` reads a byte range across them and closes them after. */
export class OpenedVersion {
  constructor(
    readonly version: ObjectVersion,
    private readonly handles: readonly fs.FileHandle[],
  ) {}

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.close().catch(() => undefined)));
  }

  /** Bytes `start` to `end` inclusive, part after part; the handles close when it ends or is destroyed. */
  stream(start: number, end: number): Readable {
    const { files } = this.version;
    const handles = this.handles;
    const close = () => this.close();
    async function* chunks(): AsyncGenerator<Buffer> {
      try {
        let offset = 0;
        for (const [i, file] of files.entries()) {
          const fileStart = offset;
          offset += file.size;
          const handle = handles[i];
          if (!handle || offset <= start || fileStart > end) continue;
          let position = Math.max(start, fileStart) - fileStart;
          const last = Math.min(end, offset - 1) - fileStart;
          while (position <= last) {
            const want = Math.min(READ_BYTES, last - position + 1);
            const buffer = Buffer.allocUnsafe(want);
            const { bytesRead } = await handle.read(buffer, 0, want, position);
            if (bytesRead === 0) throw new Error(`version file ended early: ${file.file}`);
            position += bytesRead;
            yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
          }
        }
      } finally {
        await close();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }
}
