import { createHash } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { INDEX_FILE, type KeyIndex } from "../../local/storage/store/key-index";
import { LOCAL_BUCKET } from "./seed-objects";

/**
 * Where the local storage keeps the bytes of `key`'s current version on disk: the object store's
 * layout (local/storage/store/object-store.ts), one directory per key named by the SHA-256 of the
 * key, one per version, the version's files in order.
 */
export async function storedFilesOf(dataDir: string, key: string): Promise<string[]> {
  const dir = join(dataDir, "versions", LOCAL_BUCKET, createHash("sha256").update(key, "utf8").digest("hex"));
  const index = JSON.parse(await readFile(join(dir, INDEX_FILE), "utf8")) as KeyIndex;
  const [current] = index.versions;
  if (!current || current.deleteMarker) throw new Error(`${key} has no current version on disk`);
  return current.files.map((f) => join(dir, current.versionId, f.file));
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
