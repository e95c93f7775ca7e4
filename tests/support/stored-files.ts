import { createHash } from "node:crypto";
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { TOMBSTONE } from "../../local/storage/store/key-log";
import { LOCAL_BUCKET } from "./seed-objects";

/**
 * Where the local storage keeps the bytes of `key`'s one version on disk: the object store's layout
 * (local/storage/store/bucket-keys.ts), one directory per key named by the SHA-256 of the key, in
 * it one directory per version holding the version's files (one, or a completed upload's parts, in
 * part order), beside the key's snapshot and log files.
 */
export async function storedFilesOf(dataDir: string, key: string): Promise<string[]> {
  const dir = join(dataDir, "versions", LOCAL_BUCKET, createHash("sha256").update(key, "utf8").digest("hex"));
  const versions = (await readdir(dir, { withFileTypes: true })).filter(
    (entry) => entry.isDirectory() && !entry.name.endsWith(TOMBSTONE),
  );
  if (versions.length !== 1) throw new Error(`${key} has ${versions.length} versions on disk, not one`);
  const versionDir = join(dir, versions[0]?.name ?? "");
  const files = (await readdir(versionDir)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return files.map((file) => join(versionDir, file));
}

/** Flips one bit of the byte at `offset` of `key`'s stored bytes, as a failing disk would. */
export async function corruptStoredByte(dataDir: string, key: string, offset: number): Promise<void> {
  const [file] = await storedFilesOf(dataDir, key);
  if (!file) throw new Error(`${key} has no stored file`);
  const handle = await open(file, "r+");
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] ?? 0) ^ 0x01;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}
