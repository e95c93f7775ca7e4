import type { Logger } from "../telemetry/log";
import { errorDetail } from "../telemetry/log";
import { type Deadline, type LazyS3, quickCall, rethrowUnavailable } from "./client";
import { objectFailure } from "./failures";

/** A key, or one version or delete marker of it, as DeleteObjects names them. */
export interface DeleteEntry {
  readonly key: string;
  readonly versionId?: string;
}

export interface EntryError {
  readonly code: string;
  readonly message: string;
}

export interface EntriesOutcome {
  /** In the order given. */
  readonly deleted: DeleteEntry[];
  readonly errors: Array<DeleteEntry & EntryError>;
}

/**
 * How a batch is sent: DeleteObjects takes up to 1,000 keys, and S3 deletes them one after another,
 * so a batch goes out as several smaller calls at once and finishes within one call's deadline.
 */
export interface DeletePlan {
  readonly chunkKeys: number;
  readonly parallel: number;
}

export const DELETE_PLAN: DeletePlan = { chunkKeys: 100, parallel: 10 };

/** Connection failures: the request never reached the storage, so nothing of it was done. */
const UNSENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

type Fate = "unsent" | "refused" | "unknown";

function fateOf(error: unknown): Fate {
  const e = error as { code?: unknown; cause?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e?.code === "string" && UNSENT_CODES.has(e.code)) return "unsent";
  if (e?.cause !== undefined && e.cause !== error && fateOf(e.cause) === "unsent") return "unsent";
  // S3 answered the whole request with an error: it refused it, and deleted nothing.
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return "refused";
  return "unknown";
}

const FATE_ERRORS: Readonly<Record<Fate, EntryError>> = {
  unsent: {
    code: "ServiceUnavailable",
    message: "the storage could not be reached, so this key was not deleted; try again later",
  },
  refused: { code: "InternalError", message: "the storage refused to delete this key; try again later" },
  unknown: {
    code: "ServiceUnavailable",
    message: "the storage did not confirm this delete in time; it may have happened; send the key again",
  },
};

const id = (e: DeleteEntry) => `${e.key}\u0000${e.versionId ?? ""}`;

export function s3Deletes(s3: LazyS3, Bucket: string, deadline: Deadline, plan: DeletePlan, log?: Logger) {
  async function deleteChunk(chunk: readonly DeleteEntry[]): Promise<Map<string, EntryError | undefined>> {
    const { client, sdk } = await s3();
    const out = await client.send(
      new sdk.DeleteObjectsCommand({
        Bucket,
        Delete: {
          Objects: chunk.map((e) => ({ Key: e.key, ...(e.versionId ? { VersionId: e.versionId } : {}) })),
          Quiet: false,
        },
      }),
      quickCall(deadline),
    );
    const results = new Map<string, EntryError | undefined>();
    for (const d of out.Deleted ?? [])
      results.set(id({ key: d.Key ?? "", versionId: d.VersionId }), undefined);
    for (const e of out.Errors ?? []) {
      results.set(id({ key: e.Key ?? "", versionId: e.VersionId }), {
        code: e.Code ?? "InternalError",
        message: e.Message ?? "the object could not be deleted",
      });
    }
    return results;
  }

  /**
   * Deletes `entries` in chunks sent at once, and says of each entry whether it was deleted. A chunk
   * that fails leaves its entries in `errors`, saying whether the delete may have happened; only
   * when every chunk failed before the storage did anything is the failure itself thrown (503 when
   * the storage is unreachable).
   */
  async function deleteEntries(entries: readonly DeleteEntry[]): Promise<EntriesOutcome> {
    if (entries.length === 0) return { deleted: [], errors: [] };
    const chunks: DeleteEntry[][] = [];
    for (let i = 0; i < entries.length; i += plan.chunkKeys)
      chunks.push(entries.slice(i, i + plan.chunkKeys));
    const outcomes: Array<{ results: Map<string, EntryError | undefined> } | { failure: unknown }> = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < chunks.length; i = next++) {
        const chunk = chunks[i] ?? [];
        outcomes[i] = await deleteChunk(chunk).then(
          (results) => ({ results }),
          (failure: unknown) => ({ failure }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(plan.parallel, chunks.length) }, worker));
    const failures = outcomes.flatMap((o) => ("failure" in o ? [o.failure] : []));
    if (failures.length === chunks.length && failures.every((f) => fateOf(f) !== "unknown")) {
      rethrowUnavailable(failures[0]);
    }
    const deleted: DeleteEntry[] = [];
    const errors: Array<DeleteEntry & EntryError> = [];
    chunks.forEach((chunk, i) => {
      const outcome = outcomes[i] ?? { failure: undefined };
      if ("failure" in outcome) {
        log?.log("warn", "batch delete call failed", { keys: chunk.length, ...errorDetail(outcome.failure) });
      }
      for (const entry of chunk) {
        const error =
          "failure" in outcome
            ? FATE_ERRORS[fateOf(outcome.failure)]
            : outcome.results.has(id(entry))
              ? outcome.results.get(id(entry))
              : { code: "InternalError", message: "the storage did not say whether this key was deleted" };
        if (error) errors.push({ ...entry, ...error });
        else deleted.push(entry);
      }
    });
    return { deleted, errors };
  }

  return {
    deleteEntries,

    async deleteOne(key: string, ifMatch?: string): Promise<void> {
      try {
        const { client, sdk } = await s3();
        await client.send(
          new sdk.DeleteObjectCommand({ Bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
          quickCall(deadline),
        );
      } catch (error) {
        objectFailure(error, key);
      }
    },

    async deleteVersion(key: string, versionId: string): Promise<void> {
      try {
        const { client, sdk } = await s3();
        await client.send(
          new sdk.DeleteObjectCommand({ Bucket, Key: key, VersionId: versionId }),
          quickCall(deadline),
        );
      } catch (error) {
        objectFailure(error, key);
      }
    },
  };
}
