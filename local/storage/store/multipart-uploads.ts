import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Algorithm } from "../checksums/algorithms";
import {
  type DurableWriteResult,
  syncDirectory,
  type WriteFault,
  writeDurably,
  writeSmallFileDurably,
} from "./durable-write";
import { KeyedLock } from "./keyed-lock";
import {
  type CompletedUpload,
  type CompleteProblem,
  chooseParts,
  type LinkedParts,
  type PartRecord,
  partFile,
  type UploadRecord,
} from "./upload-records";
import type { StoredFile } from "./versions";

export type {
  CompletedUpload,
  CompleteProblem,
  LinkedParts,
  PartRecord,
  UploadRecord,
} from "./upload-records";
export { MIN_PART_BYTES } from "./upload-records";

const UPLOAD_FILE = "upload.json";
const COMPLETED_FILE = "completed.json";

/**
 * Multipart uploads on disk for the local storage: one directory per upload holding its
 * description, each part's bytes in a file of its own, and each part's record. A part is written
 * to a new file and fsynced, then its record (which names that file) replaces the previous one by
 * a rename: a listing reads either the old record or the new one, never half of one. Completing
 * hard-links the chosen part files into the new version, so no byte is copied again.
 */
export class MultipartUploads {
  /** Part writes and completion of one upload take turns, so completion links the parts it checked. */
  private readonly lock = new KeyedLock();

  constructor(
    private readonly dir: string,
    private readonly fault?: WriteFault,
  ) {}

  private uploadDir(uploadId: string): string {
    // Upload IDs come from clients: only our own shape may name a directory.
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(uploadId)) return path.join(this.dir, "invalid");
    return path.join(this.dir, uploadId);
  }

  async create(record: UploadRecord): Promise<string> {
    const uploadId = randomBytes(24).toString("base64url");
    const dir = this.uploadDir(uploadId);
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `${UPLOAD_FILE}.tmp`);
    await writeSmallFileDurably(tmp, JSON.stringify(record));
    await fs.rename(tmp, path.join(dir, UPLOAD_FILE));
    await syncDirectory(dir);
    await syncDirectory(this.dir);
    return uploadId;
  }

  async get(uploadId: string, key: string): Promise<UploadRecord | undefined> {
    try {
      const record = JSON.parse(
        await fs.readFile(path.join(this.uploadDir(uploadId), UPLOAD_FILE), "utf8"),
      ) as UploadRecord;
      // S3 ties an upload ID to its key: the same ID under another key is NoSuchUpload.
      return record.key === key ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Streams a part to disk and resolves with its record once it is durable. Rejects with an
   * IncompleteBodyError when the body was cut short, with the file system's error otherwise; either
   * way the previous record of that part number is untouched.
   */
  async putPart<T>(
    uploadId: string,
    partNumber: number,
    body: AsyncIterable<Buffer>,
    options: {
      expectedLength?: number;
      sha256?: boolean;
      /** The checksum the part's record keeps; computed with any in `checksums` as the bytes go by. */
      keep: Algorithm;
      checksums?: readonly Algorithm[];
      /** Refuses the written bytes with an S3 error (a digest that does not match). */
      verify?: (written: DurableWriteResult) => T | undefined;
    },
    now: Date,
  ): Promise<PartRecord | { problem: T }> {
    const dir = this.uploadDir(uploadId);
    const file = `p-${partNumber}-${randomBytes(8).toString("hex")}`;
    const written = await writeDurably(body, path.join(dir, file), {
      ...(options.expectedLength === undefined ? {} : { expectedLength: options.expectedLength }),
      ...(options.sha256 ? { sha256: true } : {}),
      checksums: [...new Set([options.keep, ...(options.checksums ?? [])])],
      ...(this.fault ? { fault: this.fault } : {}),
    });
    const problem = options.verify?.(written);
    if (problem !== undefined) {
      await fs.rm(path.join(dir, file), { force: true });
      return { problem };
    }
    const record: PartRecord = {
      partNumber,
      etag: `"${written.md5}"`,
      size: written.size,
      lastModified: now.toISOString(),
      file,
      checksum: { algorithm: options.keep, value: written.checksums[options.keep] ?? "" },
    };
    return this.recordPart(uploadId, record);
  }

  /** The record a completed upload left, while it is kept. */
  async completed(uploadId: string, key: string): Promise<CompletedUpload | undefined> {
    try {
      const record = JSON.parse(
        await fs.readFile(path.join(this.uploadDir(uploadId), COMPLETED_FILE), "utf8"),
      ) as CompletedUpload;
      return record.key === key ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `task` with the upload's parts and completion to itself: a completion holds it from its
   * check of the upload to its record of the result, so racing completions of one upload complete
   * it once, and a part cannot be recorded into an upload that is being (or was) completed.
   */
  exclusive<T>(uploadId: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(uploadId, task);
  }

  /**
   * Records that the upload was completed (only within `exclusive`): its record of the result
   * replaces the upload's description, and its part files go (the version holds them by hard
   * links). Without space for the record, the upload goes entirely: a retry is then NoSuchUpload,
   * which S3 also answers for a completed upload, rather than a second completion.
   */
  async markCompleted(uploadId: string, record: CompletedUpload): Promise<void> {
    const dir = this.uploadDir(uploadId);
    const tmp = path.join(dir, `${COMPLETED_FILE}.tmp`);
    try {
      this.fault?.(tmp, 0);
      await writeSmallFileDurably(tmp, JSON.stringify(record));
      await fs.rename(tmp, path.join(dir, COMPLETED_FILE));
      await fs.rm(path.join(dir, UPLOAD_FILE));
      await syncDirectory(dir);
    } catch {
      await fs.rm(dir, { recursive: true, force: true });
      return;
    }
    for (const name of await fs.readdir(dir)) {
      if (name !== COMPLETED_FILE) await fs.rm(path.join(dir, name), { force: true });
    }
  }

  /** Makes a written part file the part's current record, replacing (and removing) an earlier one. */
  async recordPart(uploadId: string, record: PartRecord): Promise<PartRecord> {
    const dir = this.uploadDir(uploadId);
    return this.lock.run(uploadId, async () => {
      const recordFile = path.join(dir, `part-${record.partNumber}.json`);
      try {
        await fs.access(path.join(dir, UPLOAD_FILE));
      } catch (error) {
        // Completed or aborted while the part was on its way: the caller answers NoSuchUpload.
        if (record.file) await fs.rm(path.join(dir, record.file), { force: true });
        throw error;
      }
      const previous = await this.readPart(recordFile);
      const tmp = `${recordFile}.${randomBytes(6).toString("hex")}.tmp`;
      try {
        this.fault?.(tmp, 0);
        await writeSmallFileDurably(tmp, JSON.stringify(record));
        await fs.rename(tmp, recordFile);
        // The part is acknowledged once this returns: its record's name must survive a crash.
        await syncDirectory(dir);
      } catch (error) {
        await fs.rm(tmp, { force: true });
        if (record.file) await fs.rm(path.join(dir, record.file), { force: true });
        throw error;
      }
      // A part uploaded again replaces the earlier one, as in S3.
      if (previous && partFile(previous) !== record.file) {
        await fs.rm(path.join(dir, partFile(previous)), { force: true });
      }
      return record;
    });
  }

  /** A new part file's path in the upload's directory, for parts copied from an object. */
  partPath(uploadId: string, partNumber: number): { path: string; file: string } {
    const file = `p-${partNumber}-${randomBytes(8).toString("hex")}`;
    return { path: path.join(this.uploadDir(uploadId), file), file };
  }

  private async readPart(file: string): Promise<PartRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(file, "utf8")) as PartRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async listParts(uploadId: string): Promise<PartRecord[]> {
    const dir = this.uploadDir(uploadId);
    const names = (await fs.readdir(dir)).filter((n) => /^part-\d+\.json$/.test(n));
    const parts = await Promise.all(names.map((n) => this.readPart(path.join(dir, n))));
    return parts.filter((p): p is PartRecord => p !== undefined).sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * The parts a completion names, checked as S3 checks them (`chooseParts`). Only within
   * `exclusive`, so that no part changes until they are linked.
   */
  async chooseParts(
    uploadId: string,
    requested: ReadonlyArray<{ partNumber: number; etag: string }>,
  ): Promise<PartRecord[] | { problem: CompleteProblem; at?: number }> {
    return chooseParts(await this.listParts(uploadId), requested);
  }

  /**
   * Hard-links the chosen parts, in order, into `targetDir` as `part-00001`, `part-00002`, …: the
   * parts' inodes become the version's files. Resolves with the multipart ETag (MD5 of the parts'
   * MD5s, then `-N`) and the files, each with its checksum when `algorithm` is the parts' own.
   */
  async linkParts(
    uploadId: string,
    parts: readonly PartRecord[],
    targetDir: string,
    algorithm: Algorithm | undefined,
  ): Promise<LinkedParts> {
    const dir = this.uploadDir(uploadId);
    const files: StoredFile[] = [];
    for (const [i, part] of parts.entries()) {
      const file = `part-${String(i + 1).padStart(5, "0")}`;
      await fs.link(path.join(dir, partFile(part)), path.join(targetDir, file));
      const checksum = part.checksum?.algorithm === algorithm ? part.checksum?.value : undefined;
      files.push({ file, size: part.size, ...(checksum === undefined ? {} : { checksum }) });
    }
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag.replace(/"/g, ""), "hex")));
    return { etag: `"${createHash("md5").update(md5s).digest("hex")}-${parts.length}"`, files };
  }

  /**
   * Every upload on disk (incomplete, or the record of a completed one) with when it was initiated,
   * for the lifecycle sweep. A directory without either record was never acknowledged: it has the
   * epoch as its date, so the first sweep removes it.
   */
  async all(): Promise<Array<{ uploadId: string; initiated: string }>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const found: Array<{ uploadId: string; initiated: string }> = [];
    for (const uploadId of names) {
      let initiated = new Date(0).toISOString();
      for (const file of [UPLOAD_FILE, COMPLETED_FILE]) {
        try {
          initiated = (
            JSON.parse(await fs.readFile(path.join(this.dir, uploadId, file), "utf8")) as UploadRecord
          ).initiated;
          break;
        } catch {
          // Not this record: the other, or none.
        }
      }
      found.push({ uploadId, initiated });
    }
    return found;
  }

  async remove(uploadId: string): Promise<void> {
    await this.lock.run(uploadId, () => fs.rm(this.uploadDir(uploadId), { recursive: true, force: true }));
  }
}
