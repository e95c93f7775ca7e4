import type { ObjectInfo, ObjectLookup } from "../../functions/s3/objects";

/** The version every key has in the handler tests unless a test says otherwise. */
export const VERSION_ID = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";
export const ETAG = '"9b2cf535f27731c974343645a3985328"';

/** Every key exists, at VERSION_ID. */
export const everyKeyExists: ObjectLookup = {
  async head(key, versionId) {
    return { key, size: 12, etag: ETAG, versionId: versionId ?? VERSION_ID };
  },
};

/** An in-memory bucket: versions by key, newest last; `undefined` marks a delete marker. */
export class MemoryObjects implements ObjectLookup {
  readonly calls: Array<{ key: string; versionId?: string }> = [];
  private readonly versions = new Map<string, Array<ObjectInfo | undefined>>();

  put(object: ObjectInfo): void {
    this.versions.set(object.key, [...(this.versions.get(object.key) ?? []), object]);
  }

  delete(key: string): void {
    this.versions.set(key, [...(this.versions.get(key) ?? []), undefined]);
  }

  async head(key: string, versionId?: string): Promise<ObjectInfo | undefined> {
    this.calls.push(versionId === undefined ? { key } : { key, versionId });
    const versions = this.versions.get(key) ?? [];
    if (versionId === undefined) return versions.at(-1);
    return versions.find((v) => v?.versionId === versionId);
  }
}
