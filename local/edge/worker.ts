import { moduleWorker } from "../stack/module-worker";
import { readCacheStats, STATS_BYTES } from "./cache";
import type { EdgeOptions, RunningEdge } from "./server";

/** What crosses to the edge's thread: the options as plain data, the key group as PEM. */
export interface EdgeWorkerData {
  readonly options: Omit<EdgeOptions, "publicKeys" | "clock" | "log" | "statsBuffer">;
  readonly publicKeys: readonly [string, string][];
  readonly logs: boolean;
  readonly statsBuffer: SharedArrayBuffer;
}

export type EdgeWorkerMessage =
  | { readonly type: "ready"; readonly url: string; readonly apiUrl?: string }
  | { readonly type: "failed"; readonly message: string; readonly code?: string }
  | { readonly type: "log"; readonly fields: Record<string, unknown> }
  | { readonly type: "closed" };

/**
 * Starts the edge in its own worker thread, so that its data path (origin reads, cache copies,
 * writes to viewers) does not share an event loop with the storage and the function URL. Same
 * options and result as startEdge, except that the clock cannot cross threads.
 */
export function startEdgeWorker(options: EdgeOptions): Promise<RunningEdge> {
  if (options.clock)
    return Promise.reject(new Error("[clock] cannot be given to an edge in a worker thread"));
  const { publicKeys, clock: _clock, log, statsBuffer: _stats, ...plain } = options;
  const statsBuffer = new SharedArrayBuffer(STATS_BYTES);
  const data: EdgeWorkerData = {
    options: plain,
    publicKeys: [...publicKeys].map(([id, key]) => [
      id,
      key.export({ type: "spki", format: "pem" }).toString(),
    ]),
    logs: log !== undefined,
    statsBuffer,
  };
  const worker = moduleWorker(require.resolve("./worker-main"), data);
  let closed: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the edge's worker exited with code ${code}`)));
    worker.on("message", (message: EdgeWorkerMessage) => {
      if (message.type === "log") log?.(message.fields);
      else if (message.type === "closed") closed?.();
      else if (message.type === "failed") {
        worker.terminate();
        reject(Object.assign(new Error(message.message), message.code ? { code: message.code } : {}));
      } else if (message.type === "ready") {
        worker.removeListener("error", reject);
        worker.removeAllListeners("exit");
        worker.on("error", (error) =>
          log?.({ component: "edge", level: "error", message: "edge worker failed", error: String(error) }),
        );
        resolve({
          url: message.url,
          ...(message.apiUrl ? { apiUrl: message.apiUrl } : {}),
          cacheStats: () => readCacheStats(statsBuffer),
          async close() {
            await new Promise<void>((done) => {
              closed = done;
              worker.postMessage({ type: "close" });
            });
            await worker.terminate();
          },
        });
      }
    });
  });
}
