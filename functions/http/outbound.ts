import type { Agent as HttpAgent, IncomingHttpHeaders } from "node:http";

export interface HttpRequest {
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The whole exchange, connection included. */
  readonly timeoutMs: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The request could not be made or was not answered in time: the service is unreachable. */
export class Unreachable extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "Unreachable";
  }
}

/**
 * One request with node:http or node:https, loaded on first use, over a keep-alive agent. Not the
 * global `fetch`: Node loads its implementation (undici, with a WebAssembly HTTP parser) on first use,
 * and `npm run bench` measures a fresh process's first fetch at well over the CPU time of its first
 * node:http request; the first request of every execution environment would pay the difference.
 *
 * A request sent on a kept-alive connection that the server closed meanwhile fails with ECONNRESET
 * before any answer (Node.js docs, `request.reusedSocket`). Lambda freezes an environment between
 * invocations, so its pooled connections to S3 and SSM are often closed by the time it thaws; such
 * a failure is retried on another connection. Sending a request again is safe for every caller:
 * HeadObject and GetParameter are reads, and CreateInvalidation with the same CallerReference
 * returns the invalidation already made. A failure on a new connection is final.
 */
export async function httpRequest(url: URL, request: HttpRequest): Promise<HttpAnswer> {
  const { transport, agent } = transportFor(url.protocol);
  const headers: Record<string, string> = { ...request.headers };
  // A body without a length goes out chunked, which not every AWS endpoint accepts.
  if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
  for (let attempt = 1; ; attempt++) {
    try {
      return await exchange(transport, agent, url, request, headers);
    } catch (error) {
      if (!(error instanceof StaleConnection) || attempt >= MAX_STALE_RETRIES + 1) {
        throw new Unreachable(`${url.host}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}

/** The agent may hold several closed connections; each retry drops one. */
const MAX_STALE_RETRIES = 3;

/** The request was sent on a reused connection that broke before any answer came back. */
class StaleConnection extends Error {}

function exchange(
  transport: Pick<Transport, "request">,
  agent: HttpAgent,
  url: URL,
  request: HttpRequest,
  headers: Record<string, string>,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException).code;
      const stale = outgoing.reusedSocket && !answered && (code === "ECONNRESET" || code === "EPIPE");
      reject(stale ? new StaleConnection(error.message, { cause: error }) : error);
    };
    const outgoing = transport.request(url, { method: request.method, headers, agent }, (incoming) => {
      answered = true;
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("error", fail);
      incoming.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    timer = setTimeout(
      () => outgoing.destroy(new Error(`no answer in ${request.timeoutMs} ms`)),
      request.timeoutMs,
    );
    outgoing.on("error", fail);
    outgoing.end(request.body);
  });
}

type Transport = typeof import("node:https");

const transports = new Map<string, { transport: Pick<Transport, "request">; agent: HttpAgent }>();

/**
 * node:http or node:https, required on first use: most cold starts need one of them (a GET's lookup,
 * the signing key), a PUT needs neither. `require` rather than `import()`, because in the CommonJS
 * bundle a dynamic import would start Node's ES module loader just to wrap a built-in.
 */
function transportFor(protocol: string) {
  let loaded = transports.get(protocol);
  if (!loaded) {
    if (protocol !== "https:" && protocol !== "http:") throw new Error(`unsupported protocol ${protocol}`);
    const transport = (protocol === "https:" ? require("node:https") : require("node:http")) as Transport;
    loaded = { transport, agent: new transport.Agent({ keepAlive: true }) };
    transports.set(protocol, loaded);
  }
  return loaded;
}
