import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { checksumOf } from "../../local/storage/checksums/algorithms";
import { lockDataDir } from "../../local/storage/store/data-dir-lock";
import { NOTHING_STAGED, ObjectStore } from "../../local/storage/store/object-store";

/** The bucket the local stack's storage keeps its objects in. */
export const LOCAL_BUCKET = "local-files";

/** One key to seed: its body (the key itself by default; "" for none), and its versions and delete marker. */
export interface SeedObject {
  readonly key: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Versions of the key, each with the same body; 1 by default. */
  readonly versions?: number;
  /** Ends with a delete marker, as a DELETE leaves it. */
  readonly deleted?: boolean;
}

export interface SeededObject {
  readonly key: string;
  /** Oldest first; a delete marker's ID last when `deleted`. */
  readonly versionIds: readonly string[];
  readonly etag: string;
}

/**
 * Fills a local storage's data directory with objects in one process, through the object store
 * itself but without syncing each write to disk: tens of thousands of keys take seconds, where
 * HTTP PUTs take minutes. Run it before the storage starts on `dataDir` (it takes the directory's
 * lock, so it refuses a directory a storage holds); the storage then loads what it wrote.
 */
export async function seedObjects(
  dataDir: string,
  bucket: string,
  objects: readonly SeedObject[],
  options: { clock?: () => Date; concurrency?: number } = {},
): Promise<SeededObject[]> {
  const release = await lockDataDir(dataDir);
  try {
    const store = await ObjectStore.open(dataDir, bucket, {
      durable: false,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const seeded: SeededObject[] = new Array(objects.length);
    let next = 0;
    const worker = async () => {
      while (next < objects.length) {
        const index = next++;
        const object = objects[index] as SeedObject;
        const body = Buffer.from(object.body ?? object.key);
        const etag = `"${createHash("md5").update(body).digest("hex")}"`;
        // What the storage keeps for an object written without a checksum: S3's default.
        const checksum = {
          algorithm: "CRC64NVME",
          type: "FULL_OBJECT",
          value: checksumOf("CRC64NVME", body),
        } as const;
        const versionIds: string[] = [];
        for (let v = 0; v < (object.versions ?? 1); v += 1) {
          // An empty object has no file, so nothing to stage: the store keeps no directory for it.
          const staged = body.length > 0 ? await store.stage() : NOTHING_STAGED;
          if (body.length > 0) await fs.writeFile(path.join(staged.dir, "data"), body);
          const installed = await store.install(object.key, staged, {
            etag,
            contentType: object.contentType ?? "binary/octet-stream",
            metadata: object.metadata ?? {},
            files: body.length > 0 ? [{ file: "data", size: body.length }] : [],
            checksum,
          });
          if (!("versionId" in installed)) throw new Error(`seeding ${object.key} was refused`);
          versionIds.push(installed.versionId);
        }
        if (object.deleted) versionIds.push((await store.addDeleteMarker(object.key)).versionId);
        seeded[index] = { key: object.key, versionIds, etag };
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    return seeded;
  } finally {
    await release();
  }
}
