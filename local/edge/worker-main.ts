import { createPublicKey } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { type EdgeOptions, startEdge } from "./server";
import type { EdgeWorkerData, EdgeWorkerMessage } from "./worker";

/** The edge's own thread: starts the edge from plain data and answers the parent's close. */
const data = workerData as EdgeWorkerData;
const port = parentPort;
const send = (message: EdgeWorkerMessage) => port?.postMessage(message);

const options: EdgeOptions = {
  ...data.options,
  publicKeys: new Map(data.publicKeys.map(([id, pem]) => [id, createPublicKey(pem)])),
  statsBuffer: data.statsBuffer,
  ...(data.logs ? { log: (fields: Record<string, unknown>) => send({ type: "log", fields }) } : {}),
};

startEdge(options).then(
  (edge) => {
    port?.on("message", (message: { type: string }) => {
      if (message.type === "close") edge.close().then(() => send({ type: "closed" }));
    });
    send({ type: "ready", url: edge.url, ...(edge.apiUrl ? { apiUrl: edge.apiUrl } : {}) });
  },
  (error: Error & { code?: string }) =>
    send({ type: "failed", message: error.message, ...(error.code ? { code: error.code } : {}) }),
);
