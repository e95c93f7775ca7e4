/**
 * Where a multipart upload is kept between page loads. A File picked again after a reload is a new
 * object with the same name, size and lastModified, so those, with the key and the API, name the
 * upload; the bytes are trusted to be the same, as every resumable uploader (tus, Uppy) does.
 */

export interface SavedUpload {
  readonly uploadId: string;
  readonly partSize: number;
  /** Storage checks every part against its CRC64NVME; an upload begun without one is not resumed. */
  readonly checksumAlgorithm: "CRC64NVME";
}

const PREFIX = "signed-file-store:upload:";

export function uploadStateKey(apiUrl: string, key: string, file: Blob): string {
  const named = file as Partial<File>;
  return `${PREFIX}${JSON.stringify([apiUrl, key, named.name ?? "", file.size, named.lastModified ?? 0])}`;
}

/** localStorage when the page has it; a private window or a sandboxed frame may throw on access. */
export function defaultStorage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

export function loadUpload(storage: Storage | undefined, id: string): SavedUpload | undefined {
  const text = storage?.getItem(id);
  if (!text) return undefined;
  try {
    const saved = JSON.parse(text) as Partial<SavedUpload>;
    if (
      typeof saved.uploadId === "string" &&
      typeof saved.partSize === "number" &&
      saved.partSize > 0 &&
      saved.checksumAlgorithm === "CRC64NVME"
    ) {
      return { uploadId: saved.uploadId, partSize: saved.partSize, checksumAlgorithm: "CRC64NVME" };
    }
  } catch {
    // A damaged entry is dropped below, and the upload starts again.
  }
  storage?.removeItem(id);
  return undefined;
}

export function saveUpload(storage: Storage | undefined, id: string, upload: SavedUpload): void {
  try {
    storage?.setItem(id, JSON.stringify(upload));
  } catch {
    // Quota exceeded: the upload still works, it just cannot resume after a reload.
  }
}

export function forgetUpload(storage: Storage | undefined, id: string): void {
  storage?.removeItem(id);
}
