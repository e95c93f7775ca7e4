import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { InstallOptions, NewVersion, StagedVersion, VersionEntry } from "./versions";

/** What the unversioned layout kept next to each object's bytes (`<sha256(key)>.json`). */
interface LegacyMeta {
  readonly key: string;
  readonly etag: string;
  readonly contentType: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** An HTTP date. */
  readonly lastModified: string;
}

/** The part of the object store a migration writes through. */
export interface VersionTarget {
  version(key: string, versionId: string): VersionEntry | undefined;
  stage(): Promise<StagedVersion>;
  install(
    key: string,
    staged: StagedVersion,
    version: NewVersion,
    options?: InstallOptions,
  ): Promise<unknown>;
}

/**
 * Moves objects stored by the unversioned layout (`objects/<bucket>/<sha256(key)>` and its `.json`)
 * into the versioned store, each as the version S3 calls "null": what S3 shows for objects that
 * existed before versioning was turned on. The bytes are hard-linked in, not copied, and the old
 * files are removed only once the version is installed; a crash in between is finished at the next
 * start, because a key that already has its "null" version is not installed twice.
 */
export async function migrateLegacyObjects(legacyDir: string, store: VersionTarget): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(legacyDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let moved = 0;
  for (const name of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n))) {
    const metaFile = path.join(legacyDir, name);
    const dataFile = metaFile.slice(0, -".json".length);
    const meta = JSON.parse(await fs.readFile(metaFile, "utf8")) as LegacyMeta;
    if (!store.version(meta.key, "null")) {
      const size = (await fs.stat(dataFile)).size;
      const staged = await store.stage();
      await fs.link(dataFile, path.join(staged.dir, "data"));
      await store.install(
        meta.key,
        staged,
        {
          etag: meta.etag,
          contentType: meta.contentType,
          ...(meta.cacheControl ? { cacheControl: meta.cacheControl } : {}),
          ...(meta.contentDisposition ? { contentDisposition: meta.contentDisposition } : {}),
          metadata: meta.metadata ?? {},
          files: [{ file: "data", size }],
        },
        { versionId: "null", lastModified: new Date(meta.lastModified).toISOString() },
      );
      moved += 1;
    }
    await fs.rm(dataFile, { force: true });
    await fs.rm(metaFile, { force: true });
  }
  // Bytes whose description was never written were never acknowledged.
  for (const name of await fs.readdir(legacyDir)) await fs.rm(path.join(legacyDir, name), { force: true });
  await fs.rmdir(legacyDir);
  return moved;
}
