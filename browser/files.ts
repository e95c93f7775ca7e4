import type { ListedObject, ListPage, ObjectInfo, ObjectVersion } from "../functions/api/shapes";
import {
  type Api,
  encodeKey,
  explainedFetch,
  SignedFileStoreError,
  settableHeaders,
  storageError,
  type TransferInstruction,
} from "./api";

export type { ListedObject, ListPage, ObjectVersion } from "../functions/api/shapes";

export interface ListOptions {
  /** Every level below the prefix rather than one. */
  readonly recursive?: boolean;
  /** 1 to 1000 entries per page; default 1000. */
  readonly limit?: number;
  readonly after?: string;
}

export interface VersionPage {
  readonly key: string;
  readonly versions: readonly ObjectVersion[];
  readonly next: string | null;
}

export interface CopyResult {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly versionId?: string;
}

/** A CloudFront invalidation made by a purge. */
export interface Invalidation {
  readonly id: string;
  readonly status: string;
  readonly paths: readonly string[];
}

/** What a purge did: versions deleted per key, keys refused, and the CDN invalidations made. */
export interface PurgeResult {
  readonly purged: ReadonlyArray<{ readonly key: string; readonly deletedVersions: number }>;
  readonly errors: ReadonlyArray<{ key: string; code: string; message: string }>;
  readonly invalidations: readonly Invalidation[];
}

/** The API takes at most this many keys in one batch, as S3's DeleteObjects does. */
const MAX_BATCH = 1000;

export interface DeleteManyResult {
  readonly deleted: readonly string[];
  readonly errors: ReadonlyArray<{ key: string; code: string; message: string }>;
}

function pageQuery(options: ListOptions, recursive: boolean): string {
  const query = new URLSearchParams();
  if (recursive) query.set("recursive", "");
  if (options.limit !== undefined) query.set("limit", String(options.limit));
  if (options.after !== undefined) query.set("after", options.after);
  // `?recursive=` and `?recursive` are the same flag to the API; the bare form reads better in logs.
  return query.toString().replace(/^recursive=(&|$)/, "recursive$1");
}

/** A prefix as the API takes it in a path: empty for the root, otherwise ending in `/`. */
function prefixPath(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "");
  return trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

/** Listing, metadata and object management, each one API call (delete also one call to storage). */
export function fileOperations(api: Api) {
  return {
    list(prefix = "", options: ListOptions = {}): Promise<ListPage> {
      return api.call<ListPage>({
        method: "GET",
        path: prefixPath(prefix),
        query: pageQuery(options, options.recursive === true),
      });
    },

    /** Every object under the prefix, page after page. */
    async *listAll(prefix = "", options: Omit<ListOptions, "after"> = {}): AsyncGenerator<ListedObject> {
      let after: string | undefined;
      do {
        const page = await this.list(prefix, { ...options, ...(after === undefined ? {} : { after }) });
        yield* page.objects;
        after = page.next ?? undefined;
      } while (after !== undefined);
    },

    /**
     * The object's metadata. The JSON read answers it in its body; a HEAD would answer it only in
     * `Object-*` headers, which a cross-origin script cannot read unless CORS exposes them.
     */
    async stat(key: string, versionId?: string): Promise<ObjectInfo> {
      const query = versionId === undefined ? "" : `versionId=${encodeURIComponent(versionId)}`;
      return (await api.call<{ object: ObjectInfo }>({ method: "GET", path: key, query })).object;
    },

    /** Deletes the current version (storage keeps it as a noncurrent version, so `restore` can bring it back). */
    async delete(key: string): Promise<void> {
      const step = await api.call<TransferInstruction>({ method: "DELETE", path: key });
      const res = await explainedFetch(globalThis.fetch.bind(globalThis), "storage", step.url, {
        method: step.method,
        headers: settableHeaders(step.headers),
      });
      if (!res.ok) throw storageError(res.status, await res.text());
    },

    /** Up to 1,000 keys in one call; keys the caller may not delete come back in `errors`. */
    deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
      return api.call<DeleteManyResult>({ method: "POST", path: "", query: "delete", body: { keys } });
    },

    /** A server-side copy of any size: no bytes pass through the browser. */
    copy(source: string, destination: string, sourceVersionId?: string): Promise<CopyResult> {
      const version =
        sourceVersionId === undefined ? "" : `?versionId=${encodeURIComponent(sourceVersionId)}`;
      return api.call<CopyResult>({
        method: "PUT",
        path: destination,
        headers: { "copy-source": `/${encodeKey(source)}${version}` },
      });
    },

    /** Copy, then delete the source once the copy succeeded. */
    move(source: string, destination: string): Promise<CopyResult> {
      return api.call<CopyResult>({ method: "POST", path: source, query: "move", body: { to: destination } });
    },

    /** Versions newest first, delete markers included; one page. */
    versions(key: string, options: Omit<ListOptions, "recursive"> = {}): Promise<VersionPage> {
      const query = pageQuery(options, false);
      return api.call<VersionPage>({
        method: "GET",
        path: key,
        query: query ? `versions&${query}` : "versions",
      });
    },

    /**
     * Deletes every version of each key for good and has the CDN forget their paths, so links
     * shared earlier stop working too: one key with `DELETE /{key}?purge`, several 1000 to a request.
     * Keys the API refuses come back in `errors`; a key with nothing stored is purged all the same
     * (0 versions), its paths invalidated.
     */
    async purge(keys: string | readonly string[]): Promise<PurgeResult> {
      const list = typeof keys === "string" ? [keys] : keys;
      if (list.length === 1) {
        const [key] = list as [string];
        try {
          const one = await api.call<{ key: string; deletedVersions: number; invalidation: Invalidation }>({
            method: "DELETE",
            path: key,
            query: "purge",
          });
          return {
            purged: [{ key, deletedVersions: one.deletedVersions }],
            errors: [],
            invalidations: [one.invalidation],
          };
        } catch (error) {
          if (!(error instanceof SignedFileStoreError) || error.status !== 404) throw error;
          return {
            purged: [],
            errors: [{ key, code: error.code, message: error.message }],
            invalidations: [],
          };
        }
      }
      const purged: Array<{ key: string; deletedVersions: number }> = [];
      const errors: Array<{ key: string; code: string; message: string }> = [];
      const invalidations: Invalidation[] = [];
      for (let i = 0; i < list.length; i += MAX_BATCH) {
        const out = await api.call<{
          purged: Array<{ key: string; deletedVersions: number }>;
          errors: Array<{ key: string; code: string; message: string }>;
          invalidation: Invalidation | null;
        }>({ method: "POST", path: "", query: "delete&purge", body: { keys: list.slice(i, i + MAX_BATCH) } });
        if (!Array.isArray(out.purged)) {
          throw new SignedFileStoreError(
            0,
            "PurgeUnsupported",
            "the API answered a purge as a plain delete: it predates purge",
          );
        }
        purged.push(...out.purged.map(({ key, deletedVersions }) => ({ key, deletedVersions })));
        errors.push(...out.errors);
        if (out.invalidation) invalidations.push(out.invalidation);
      }
      return { purged, errors, invalidations };
    },

    /** Makes that version current again; a deleted key comes back. */
    restore(key: string, versionId: string): Promise<CopyResult> {
      return api.call<CopyResult>({ method: "POST", path: key, query: "restore", body: { versionId } });
    },
  };
}
