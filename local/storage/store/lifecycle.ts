import type { MultipartUploads } from "./multipart-uploads";
import type { ObjectStore } from "./object-store";
import type { VersionEntry } from "./versions";

/**
 * The bucket's lifecycle rules as the deployed stack sets them (components/resources/storage.ts:
 * "expire-noncurrent-versions" and "abort-incomplete-multipart-uploads"), applied to the local
 * storage so that its data directory does not only grow.
 */
export interface LifecycleRules {
  /** Days after a version stops being current before it is removed for good (NoncurrentVersionExpiration). */
  readonly noncurrentVersionExpirationDays: number;
  /** Days after an upload was initiated before it is aborted (AbortIncompleteMultipartUpload). */
  readonly abortIncompleteMultipartUploadDays: number;
  /** Removes a delete marker once no version is left behind it (ExpiredObjectDeleteMarker). */
  readonly expiredObjectDeleteMarker: boolean;
}

/** The component's defaults (components/args/resolve.ts). */
export const DEFAULT_LIFECYCLE: LifecycleRules = {
  noncurrentVersionExpirationDays: 30,
  abortIncompleteMultipartUploadDays: 7,
  expiredObjectDeleteMarker: true,
};

/**
 * The rules with the defaults for what is not given, checked as the component checks its args:
 * S3 takes whole days, at least 1.
 */
export function resolveLifecycle(given: Partial<LifecycleRules> = {}): LifecycleRules {
  const days = (name: "noncurrentVersionExpirationDays" | "abortIncompleteMultipartUploadDays") => {
    const value = given[name] ?? DEFAULT_LIFECYCLE[name];
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`[lifecycle.${name}] must be a whole number of days of at least 1, got ${value}`);
    }
    return value;
  };
  return {
    noncurrentVersionExpirationDays: days("noncurrentVersionExpirationDays"),
    abortIncompleteMultipartUploadDays: days("abortIncompleteMultipartUploadDays"),
    expiredObjectDeleteMarker: given.expiredObjectDeleteMarker ?? DEFAULT_LIFECYCLE.expiredObjectDeleteMarker,
  };
}

export interface SweepReport {
  readonly noncurrentVersions: number;
  readonly deleteMarkers: number;
  readonly uploads: number;
  /** Bytes of the versions removed (parts of aborted uploads not counted). */
  readonly bytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When an action `days` after `from` happens: "Amazon S3 calculates the time by adding the number of
 * days specified in the rule to the time when the new successor version of the object is created
 * and rounding the resulting time to the next day midnight UTC" (Amazon S3 User Guide, "Lifecycle
 * configuration elements"; object expiration and upload abortion count the same way).
 */
export function actionTime(from: string, days: number): number {
  return Math.ceil((new Date(from).getTime() + days * DAY_MS) / DAY_MS) * DAY_MS;
}

/** Lets other work run between keys, so a sweep of a large bucket does not stall requests. */
const YIELD_EVERY_KEYS = 500;

/**
 * One pass of the rules at `now`. A noncurrent version (delete markers included) has been
 * noncurrent since its successor was written; removing it, or aborting an upload, frees space and
 * needs none, so a sweep works on a full disk.
 */
export async function sweep(
  store: ObjectStore,
  uploads: MultipartUploads,
  rules: LifecycleRules,
  now: Date,
): Promise<SweepReport> {
  let noncurrentVersions = 0;
  let deleteMarkers = 0;
  let bytes = 0;
  const at = now.getTime();
  let seen = 0;
  for (const key of [...store.keysAfter("")]) {
    if (++seen % YIELD_EVERY_KEYS === 0) await new Promise((resolve) => setImmediate(resolve));
    const expired: VersionEntry[] = [];
    let successor: VersionEntry | undefined;
    for (const entry of store.history(key)?.newestFirst() ?? []) {
      if (successor && actionTime(successor.lastModified, rules.noncurrentVersionExpirationDays) <= at) {
        expired.push(entry);
      }
      successor = entry;
    }
    for (const entry of expired) {
      const removed = await store.deleteVersion(key, entry.versionId);
      if (!removed) continue;
      if (removed.deleteMarker) deleteMarkers += 1;
      else {
        noncurrentVersions += 1;
        bytes += removed.size;
      }
    }
    const history = store.history(key);
    const marker = history?.current();
    if (rules.expiredObjectDeleteMarker && history?.size === 1 && marker?.deleteMarker) {
      if (await store.deleteVersion(key, marker.versionId)) deleteMarkers += 1;
    }
  }
  let aborted = 0;
  for (const upload of await uploads.all()) {
    if (actionTime(upload.initiated, rules.abortIncompleteMultipartUploadDays) > at) continue;
    await uploads.remove(upload.uploadId);
    aborted += 1;
  }
  return { noncurrentVersions, deleteMarkers, uploads: aborted, bytes };
}

/**
 * Runs sweeps one after another: on demand, and every `intervalMs` once started (a periodic one is
 * skipped while another runs). Removed entries are logged.
 */
export class LifecycleSweeper {
  private chain: Promise<unknown> = Promise.resolve();
  private busy = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly uploads: MultipartUploads,
    private readonly rules: LifecycleRules,
    private readonly clock: () => Date,
    private readonly log?: (fields: Record<string, unknown>) => void,
  ) {}

  sweep(): Promise<SweepReport> {
    const run = this.chain
      .catch(() => undefined)
      .then(async () => {
        this.busy = true;
        try {
          const report = await sweep(this.store, this.uploads, this.rules, this.clock());
          if (report.noncurrentVersions + report.deleteMarkers + report.uploads > 0) {
            this.log?.({ component: "storage", level: "info", message: "lifecycle sweep", ...report });
          }
          return report;
        } finally {
          this.busy = false;
        }
      });
    this.chain = run;
    return run;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.sweep().catch((error: unknown) =>
        this.log?.({
          component: "storage",
          level: "error",
          message: "lifecycle sweep failed",
          error: String(error),
        }),
      );
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.chain.catch(() => undefined);
  }
}
