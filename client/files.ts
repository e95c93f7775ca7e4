import { encodeKeyPath } from "../functions/api/object-key";
import type { ListPage, ObjectVersion } from "../functions/api/shapes";
import { type Api, ApiError, type Invalidation } from "./api";
import { checkKey } from "./keys";

export type { ListedObject, ListPage, ObjectVersion } from "../functions/api/shapes";

export interface ListOptions {
  /** Every level below the prefix, rather than one. */
  readonly recursive?: boolean;
  /** Entries per request, 1 to 1000 (the API's default and limit: 1000). */
  readonly pageSize?: number;
}

/** What a copy, a move or a restore made: the object now at `key`. */
export interface CopyResult {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly versionId?: string;
}

export interface DeleteError {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

export interface DeleteResult {
  readonly deleted: readonly string[];
  readonly errors: readonly DeleteError[];
}

/** The API takes at most this many keys in one batch delete, as S3's DeleteObjects does. */
export const MAX_DELETE_BATCH = 1000;

/** Pages of a listing of `prefix` ("" for the root, else ending in `/`), following `next` to the end. */
export async function* listPages(
  api: Api,
  prefix: string,
  options: ListOptions = {},
): AsyncGenerator<ListPage> {
  const base = [
    ...(options.recursive ? ["recursive"] : []),
    ...(options.pageSize === undefined ? [] : [`limit=${options.pageSize}`]),
  ];
  let after: string | null = null;
  do {
    const query = [...base, ...(after === null ? [] : [`after=${encodeURIComponent(after)}`])].join("&");
    const page: ListPage = await api.callPrefix<ListPage>("GET", prefix, query);
    yield page;
    after = page.next;
  } while (after !== null);
}

/** Server-side copy of `source` (or its version `versionId`) to `destination`. */
export async function copyObject(
  api: Api,
  source: string,
  destination: string,
  versionId?: string,
): Promise<CopyResult> {
  checkKey(source);
  const version = versionId === undefined ? "" : `?versionId=${encodeURIComponent(versionId)}`;
  return api.call<CopyResult>("PUT", destination, "", {
    "copy-source": `/${encodeKeyPath(source)}${version}`,
  });
}

/** Copy, then delete the source once the copy has succeeded (the API does both). */
export async function moveObject(api: Api, source: string, destination: string): Promise<CopyResult> {
  checkKey(destination);
  return api.call<CopyResult>("POST", source, "move", {}, { to: destination });
}

/** Deletes `keys` in batches of up to 1000; what was refused is in `errors`, key by key. */
export async function deleteKeys(api: Api, keys: readonly string[]): Promise<DeleteResult> {
  const deleted: string[] = [];
  const errors: DeleteError[] = [];
  for (let i = 0; i < keys.length; i += MAX_DELETE_BATCH) {
    const batch = keys.slice(i, i + MAX_DELETE_BATCH);
    const out = await api.callPrefix<DeleteResult>("POST", "", "delete", { keys: batch });
    deleted.push(...out.deleted);
    errors.push(...out.errors);
  }
  return { deleted, errors };
}

/** Every version of `key`, newest first, delete markers included. */
export async function* listVersions(api: Api, key: string): AsyncGenerator<ObjectVersion> {
  let after: string | null = null;
  do {
    const query = `versions${after === null ? "" : `&after=${encodeURIComponent(after)}`}`;
    const page: { versions: ObjectVersion[]; next?: string | null } = await api.call("GET", key, query, {});
    yield* page.versions;
    after = page.next ?? null;
  } while (after !== null);
}

/** Makes `versionId` the current version of `key` again, a deleted key included. */
export async function restoreVersion(api: Api, key: string, versionId: string): Promise<CopyResult> {
  return api.call<CopyResult>("POST", key, "restore", {}, { versionId });
}

/** What a purge did: versions deleted per key, keys refused, and the CDN invalidations made. */
export interface PurgeResult {
  readonly purged: ReadonlyArray<{ readonly key: string; readonly deletedVersions: number }>;
  readonly errors: readonly DeleteError[];
  readonly invalidations: readonly Invalidation[];
}

/**
 * Deletes every version and delete marker of each key and has the CDN forget the keys' paths, so
 * no URL handed out earlier serves them again: one key with `DELETE /{key}?purge`, several 1000 to
 * a request with one invalidation each. Keys the API refuses are in `errors`; a key with nothing
 * stored is purged all the same (0 versions), so a purge retried after a failed invalidation still
 * reaches the CDN.
 */
export async function purgeKeys(api: Api, keys: readonly string[]): Promise<PurgeResult> {
  for (const key of keys) checkKey(key);
  if (keys.length === 1) {
    const [key] = keys as [string];
    try {
      const one = await api.purge(key);
      return {
        purged: [{ key, deletedVersions: one.deletedVersions }],
        errors: [],
        invalidations: [one.invalidation],
      };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      const refusal = { key, code: error.code ?? "NoSuchKey", message: error.detail };
      return { purged: [], errors: [refusal], invalidations: [] };
    }
  }
  const purged: Array<{ key: string; deletedVersions: number }> = [];
  const errors: DeleteError[] = [];
  const invalidations: Invalidation[] = [];
  for (let i = 0; i < keys.length; i += MAX_DELETE_BATCH) {
    const out = await api.purgeMany(keys.slice(i, i + MAX_DELETE_BATCH));
    purged.push(...out.purged.map(({ key, deletedVersions }) => ({ key, deletedVersions })));
    errors.push(...out.errors);
    if (out.invalidation) invalidations.push(out.invalidation);
  }
  return { purged, errors, invalidations };
}
