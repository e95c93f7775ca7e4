import { createHash, randomBytes } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import * as path from "node:path";
import { writeDurably } from "./durable-write";

/**
 * Multipart uploads on disk for the local storage: one directory per upload holding its
 * description and each part's bytes and record. Parts are fsynced before they are acknowledged,
 * like single uploads, and completing concatenates them into a file the caller renames into place.
 */
export interface UploadRecord {
  readonly key: string;
  readonly contentType: string;
  readonly contentDisposition?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly initiated: string;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: string;
}

/** S3's rule: every part but the last is at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export type CompleteProblem = "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall";

export class MultipartUploads {
  constructor(private readonly dir: string) {}

  private uploadDir(uploadId: string): string {
    // Upload IDs come from clients: only our own shape may name a directory.
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(uploadId)) return path.join(this.dir, "invalid");
    return path.join(this.dir, uploadId);
  }

  async create(record: UploadRecord): Promise<string> {
    const uploadId = randomBytes(24).toString("base64url");
    await fs.mkdir(this.uploadDir(uploadId), { recursive: true });
    await fs.writeFile(path.join(this.uploadDir(uploadId), "upload.json"), JSON.stringify(record));
    return uploadId;
  }

  async get(uploadId: string, key: string): Promise<UploadRecord | undefined> {
    try {
      const record = JSON.parse(
        await fs.readFile(path.join(this.uploadDir(uploadId), "upload.json"), "utf8"),
      ) as UploadRecord;
      // S3 ties an upload ID to its key: the same ID under another key is NoSuchUpload.
      return record.key === key ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /** Streams a part to disk; resolves with its record once it is durable. */
  async putPart(
    uploadId: string,
    partNumber: number,
    body: AsyncIterable<Buffer>,
    expectedLength: number | undefined,
    now: Date,
  ): Promise<PartRecord> {
    const dir = this.uploadDir(uploadId);
    const tmp = path.join(dir, `part-${partNumber}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      const { md5, size } = await writeDurably(body, tmp, expectedLength);
      const record: PartRecord = {
        partNumber,
        etag: `"${md5}"`,
        size,
        lastModified: now.toISOString(),
      };
      // A part uploaded again replaces the earlier one, as in S3.
      await fs.rename(tmp, path.join(dir, `part-${partNumber}`));
      await fs.writeFile(path.join(dir, `part-${partNumber}.json`), JSON.stringify(record));
      return record;
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }

  async listParts(uploadId: string): Promise<PartRecord[]> {
    const dir = this.uploadDir(uploadId);
    const names = (await fs.readdir(dir)).filter((n) => /^part-\d+\.json$/.test(n));
    const parts = await Promise.all(
      names.map(async (n) => JSON.parse(await fs.readFile(path.join(dir, n), "utf8")) as PartRecord),
    );
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * Checks the client's part list as S3 does and concatenates the parts into `target`, fsynced.
   * Resolves with the multipart ETag (MD5 of the parts' MD5s, then `-N`) and the size.
   */
  async assemble(
    uploadId: string,
    requested: ReadonlyArray<{ partNumber: number; etag: string }>,
    target: string,
  ): Promise<{ etag: string; size: number } | CompleteProblem> {
    const uploaded = new Map((await this.listParts(uploadId)).map((p) => [p.partNumber, p]));
    let previous = 0;
    const parts: PartRecord[] = [];
    for (const r of requested) {
      if (r.partNumber <= previous) return "InvalidPartOrder";
      previous = r.partNumber;
      const part = uploaded.get(r.partNumber);
      if (!part || part.etag.replace(/"/g, "") !== r.etag.replace(/"/g, "")) return "InvalidPart";
      parts.push(part);
    }
    if (parts.length === 0) return "InvalidPart";
    if (parts.slice(0, -1).some((p) => p.size < MIN_PART_BYTES)) return "EntityTooSmall";
    const dir = this.uploadDir(uploadId);
    // One file handle written part after part: nothing to re-pipe, so nothing accumulates per part.
    const out = await fs.open(target, "wx");
    try {
      for (const part of parts) {
        for await (const chunk of createReadStream(path.join(dir, `part-${part.partNumber}`), {
          highWaterMark: 1024 * 1024,
        }) as AsyncIterable<Buffer>) {
          await out.write(chunk);
        }
      }
      await out.sync();
    } catch (error) {
      await out.close();
      await fs.rm(target, { force: true });
      throw error;
    }
    await out.close();
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag.replace(/"/g, ""), "hex")));
    return {
      etag: `"${createHash("md5").update(md5s).digest("hex")}-${parts.length}"`,
      size: parts.reduce((sum, p) => sum + p.size, 0),
    };
  }

  async remove(uploadId: string): Promise<void> {
    await fs.rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }
}
