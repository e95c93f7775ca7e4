import { HttpError, ServiceUnavailable } from "../api/http-error";
import { keyFromRawPath } from "../api/object-key";
import type { BatchPurgeAnswer, PurgeAnswer } from "../api/shapes";
import type { Authorizer, AuthRequest } from "../auth/authorizer";
import { type Invalidation, InvalidationFailed, type Invalidator } from "../http/cloudfront-invalidation";
import type { FunctionUrlEvent } from "../http/function-url";
import type { FileStore, VersionRef } from "../s3/files";
import { errorDetail, type Logger } from "../telemetry/log";
import { type KeyError, sortBatch } from "./batch-keys";
import { invalidationPaths } from "./invalidation-paths";
import { batchKeys } from "./request-body";

export interface PurgeDeps {
  readonly authorizer: Authorizer;
  readonly files: FileStore;
  readonly invalidator: Invalidator;
  /** The path every read URL starts with, before the key. */
  readonly cdnBasePath: string;
  readonly log?: Logger;
}

/** ListObjectVersions calls made at once in a batch purge. */
const LISTINGS_AT_ONCE = 16;

/** The retry a caller is told to wait for when part of a purge must be sent again. */
const RETRY_AFTER_SECONDS = 5;

/** A purge that deleted what it could: the caller retries it, and a retry finishes the work. */
const unfinishedPurge = (code: string, message: string, detail?: unknown) =>
  new ServiceUnavailable(message, RETRY_AFTER_SECONDS, detail, code);

const versions = (n: number) => `${n} version${n === 1 ? "" : "s"}`;

/**
 * Purge (`DELETE /{key}?purge`, `POST /?delete&purge`): every version and delete marker of each key
 * goes for good (DeleteObjects with version IDs), then one CreateInvalidation drops the CDN's cached
 * copies. A plain delete only adds a delete marker (Amazon S3 User Guide, "Working with delete
 * markers"), and the CDN may read any version, so share links would keep working until they expire.
 *
 * A key with no versions left is still invalidated and answered with `deletedVersions: 0`: a purge
 * whose invalidation failed after its deletes is retried the same way, and the retry must reach the
 * CDN.
 */
export function createPurgeRoutes(deps: PurgeDeps) {
  const { authorizer, files, invalidator } = deps;

  async function invalidate(keys: readonly string[], requestId: string, done: string): Promise<Invalidation> {
    const paths = invalidationPaths(deps.cdnBasePath, keys);
    try {
      // Unique per request; a resend of this one request names the same invalidation.
      return await invalidator.invalidate(paths, `purge-${requestId}`);
    } catch (error) {
      if (!(error instanceof InvalidationFailed)) throw error;
      throw unfinishedPurge(
        "InvalidationFailed",
        `${done}; the CDN could not be asked to drop its copies, so it may serve cached copies until the purge is retried and its invalidation completes, or until the read URLs already issued expire; retry the purge`,
        error.detail ?? error,
      );
    }
  }

  function unfinished(key: string, deleted: number, failed: ReadonlyArray<{ code: string }>) {
    deps.log?.log("warn", "purge left versions", { key, failed: failed.length, first: failed[0]?.code });
    return unfinishedPurge(
      "PurgeIncomplete",
      `${versions(deleted)} of ${key} deleted, ${versions(failed.length)} not (${failed[0]?.code}); retry the purge`,
    );
  }

  async function purgeOne(event: FunctionUrlEvent, auth: AuthRequest, requestId: string) {
    const key = keyFromRawPath(event.rawPath);
    const principal = await authorizer.authorize(auth, "purge", key);
    const found = await files.allVersions(key);
    const outcome = await files.deleteEntries(found);
    const done = `${versions(outcome.deleted.length)} of ${key} deleted`;
    const invalidation = await invalidate([key], requestId, done);
    if (outcome.errors.length > 0) throw unfinished(key, outcome.deleted.length, outcome.errors);
    const result: PurgeAnswer = { key, deletedVersions: outcome.deleted.length, invalidation };
    return { result, key, principal };
  }

  async function purgeMany(event: FunctionUrlEvent, auth: AuthRequest, requestId: string) {
    const reach = await authorizer.reach(auth, "purge");
    const keys = batchKeys(event);
    const { allowed, errors } = sortBatch(keys, reach, "purge");
    const listed = new Map<string, VersionRef[]>();
    let next = 0;
    const lister = async () => {
      for (let i = next++; i < allowed.length; i = next++) {
        const key = allowed[i] ?? "";
        try {
          listed.set(key, await files.allVersions(key));
        } catch (error) {
          errors.push(keyError(key, error, deps.log));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LISTINGS_AT_ONCE, allowed.length) }, lister));
    const outcome = await files.deleteEntries([...listed.values()].flat());
    const deleted = new Map<string, number>();
    for (const e of outcome.deleted) deleted.set(e.key, (deleted.get(e.key) ?? 0) + 1);
    const failedKeys = new Set<string>();
    for (const e of outcome.errors) {
      if (failedKeys.has(e.key)) continue;
      failedKeys.add(e.key);
      errors.push({ key: e.key, code: e.code, message: `${e.message} (version ${e.versionId})` });
    }
    const touched = allowed.filter((k) => listed.has(k));
    const purged = touched
      .filter((k) => !failedKeys.has(k))
      .map((key) => ({ key, deletedVersions: deleted.get(key) ?? 0 }));
    const done = `${purged.length} of ${allowed.length} keys purged (${versions(outcome.deleted.length)} deleted)`;
    const invalidation = touched.length === 0 ? null : await invalidate(touched, requestId, done);
    const order = new Map(keys.map((k, i) => [k, i]));
    errors.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0));
    const result: BatchPurgeAnswer = { purged, errors, invalidation };
    return { result, key: "", principal: reach.principal };
  }

  return { purgeOne, purgeMany };
}

function keyError(key: string, error: unknown, log?: Logger): KeyError {
  if (error instanceof HttpError && error.status < 500)
    return { key, code: error.code, message: error.message };
  log?.log("warn", "purge could not list a key's versions", { key, ...errorDetail(error) });
  return {
    key,
    code: "ServiceUnavailable",
    message: "its versions could not be listed, so nothing of it was deleted; try again later",
  };
}
