import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { redactQuery } from "../../functions/http/query-redaction";

/**
 * Listens on 127.0.0.1 (port 0 picks a free one) and resolves with the server's base URL; rejects
 * with the listen error (EADDRINUSE names its `port`) instead of leaving it to crash the process.
 *
 * An idle keep-alive connection stays open for IDLE_SOCKET_MS, not Node's default of 5 s. HTTP/1.1
 * lets either side close an idle connection at any time (RFC 9112, 9.3), so a client that sends its
 * next request just as the server closes gets a reset ("socket hang up") with no answer. Node's
 * http.Agent reuses a pooled connection without regard to the server's `Keep-Alive: timeout=5`
 * unless it has a timeout of its own, and a client whose event loop was busy (hashing a download)
 * has not yet seen the server's FIN when it picks the connection again: with a 5 s timeout that
 * happened to reads through the stack whenever the CPU was loaded, on connections idle 5 to 7 s.
 * The servers now keep an idle connection as long as they wait on a silent one.
 */
export async function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<string> {
  server.keepAliveTimeout = IDLE_SOCKET_MS;
  const responses = new Set<ServerResponse>();
  inFlight.set(server, responses);
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    responses.add(res);
    res.once("close", () => responses.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The responses each listening server is still writing. */
const inFlight = new WeakMap<Server, Set<ServerResponse>>();

/**
 * Stops accepting connections and resolves once every request in flight has finished. A
 * connection whose response is still being written would otherwise stay open, idle, for the whole
 * keep-alive timeout after its response ends, and hold the stop up that long: it is ended as soon
 * as that response is done.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    for (const res of inFlight.get(server) ?? []) {
      const socket = res.socket;
      res.once("finish", () => socket?.end());
    }
  });
}

export type LogSink = (fields: Record<string, unknown>) => void;

/**
 * A connection that sends nothing for this long is closed, as S3 closes one it has not read from
 * within its timeout (its RequestTimeout error): a stalled upload then ends, its partial file is
 * removed, and a stop does not wait for it for ever.
 */
export const IDLE_SOCKET_MS = 60_000;

/**
 * A server that writes one log line per finished request and turns a request that throws into
 * `onError`'s answer, with the detail only in the log. The query is logged through `redactQuery`:
 * signed URLs carry their signatures and credentials there.
 */
export function loggingServer(
  component: string,
  log: LogSink | undefined,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (res: ServerResponse) => void,
  extraFields: (res: ServerResponse) => Record<string, unknown> = () => ({}),
): Server {
  // No limit on a whole request's duration (Node's default cuts any request still sending after
  // 300 s): S3 takes a 5 GiB PUT over a slow link for as long as the bytes keep coming.
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    const started = Date.now();
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const query = q === -1 ? "" : redactQuery(url.slice(q + 1));
    res.on("finish", () =>
      log?.({
        component,
        method: req.method,
        path: q === -1 ? url : url.slice(0, q),
        ...(query ? { query } : {}),
        status: res.statusCode,
        ...extraFields(res),
        durationMs: Date.now() - started,
      }),
    );
    handle(req, res).catch((error: unknown) => {
      log?.({ component, level: "error", message: "request failed", error: String(error) });
      onError(res);
    });
  });
  server.setTimeout(IDLE_SOCKET_MS);
  return server;
}
