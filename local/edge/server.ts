import type { KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { CDN_BUCKET_READ_METHODS, CDN_CORS } from "../../components/policies/cdn-cors";
import type { CorsRule } from "../../components/policies/cors-rules";
import { S3Presigner, type S3Target } from "../../functions/signers/s3-presigner";
import { closeServer, listen, loggingServer } from "../http/listen";
import { escapeXml, sendXmlError } from "../http/xml";
import type { StorageCredentials } from "../storage/server";
import { type CacheStats, EdgeCache } from "./cache";
import { type CloudFrontApiOptions, type RunningCloudFrontApi, startCloudFrontApi } from "./cloudfront-api";
import { refusal, verifySignedResource } from "./cloudfront-verify";
import { answerPreflight, corsHeaders, type EdgeCorsPolicy } from "./cors";
import { ERROR, HIT, OriginReads } from "./miss";
import { cacheKey, parseTarget, resourceUrl, signingParams } from "./request";
import { sendCached, sendFromFill } from "./response";

/**
 * A CloudFront edge for the local stack, doing what the deployed distribution (trusted key group,
 * a cache policy keyed on the read query parameters, a response headers policy for CORS, an OAC
 * origin) does for this product:
 * - answers a malformed request (bad Host, bad percent-encoding, garbage target) with 400 before
 *   anything else, never with a 5xx;
 * - then verifies the signed URL, a preflight's too, before it reads or caches anything, and
 *   answers a bad one with 403, `X-Cache: Error from cloudfront` and the XML body CloudFront sends
 *   for that fault (MissingKey, InvalidKey, MalformedPolicy or AccessDenied: see `refusal`);
 * - strips the signing parameters and keys its cache on the path plus `versionId`, `etag` and
 *   `response-content-disposition` as sent (see edge-request.ts), so every version, and every
 *   download name, is one entry, and forwards those parameters to S3;
 * - reads the origin with its own credentials (as OAC signs origin requests with SigV4);
 * - caches 200 responses for the origin's max-age, or CachingOptimized's default TTL of one day,
 *   never when the origin says no-store, no-cache or private, in a cache bounded in bytes that
 *   evicts the least recently used objects first; `X-Cache: Hit from cloudfront` or
 *   `Miss from cloudfront`; serves HEAD, conditional GETs and single byte ranges from the cache;
 * - streams a miss to the viewer as it arrives while filling the cache, and serves every miss of
 *   the same key meanwhile from that one origin read (miss.ts), so its memory is the cache's bound
 *   plus what each connection's socket holds;
 * - adds the CDN's CORS headers and answers preflights as S3 behind the response headers policy does.
 * A cached version is served until it expires; a new version has a new key, so it is never stale.
 */
export interface EdgeOptions {
  readonly origin: S3Target;
  readonly credentials: StorageCredentials;
  /** The key group: public keys by CloudFront key ID. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly port?: number;
  readonly host?: string;
  /** The CDN's CORS rule; by default the deployed one, components/policies/cdn-cors.ts. */
  readonly cors?: CorsRule;
  /** Objects larger than this are streamed through without caching. Default 64 MiB. */
  readonly maxCachedObjectBytes?: number;
  /** The cache's bound in bytes of cached bodies. Default 256 MiB. */
  readonly maxCacheBytes?: number;
  readonly clock?: () => Date;
  readonly log?: (fields: Record<string, unknown>) => void;
  /** Where the cache publishes its counters, so that another thread can read them. */
  readonly statsBuffer?: SharedArrayBuffer;
  /** Also serve CloudFront's invalidation API for this distribution, on its own port. */
  readonly cloudFrontApi?: Pick<CloudFrontApiOptions, "distributionId" | "callers" | "port">;
}

export interface RunningEdge {
  readonly url: string;
  /** The CloudFront API's base URL, when `cloudFrontApi` was given. */
  readonly apiUrl?: string;
  /** The cache's size and its hit and miss counts so far. */
  cacheStats(): CacheStats;
  close(): Promise<void>;
}

export const DEFAULT_MAX_CACHED_OBJECT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_CACHE_BYTES = 256 * 1024 * 1024;

/** Connections already answered with a 400 and `Connection: close`. */
const closing = new WeakSet<Socket>();

function badRequest(res: ServerResponse, message: string): void {
  closing.add(res.socket as Socket);
  sendXmlError(res, 400, "BadRequest", message, { connection: "close" });
}

/**
 * A request Node's parser refuses never reaches the handler; it still gets an XML 400 (or 431 for
 * oversized headers) rather than a bare status line, and the connection is closed.
 */
function answerClientError(error: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
  // Bytes after a request already refused (an unread body that does not parse as the next request)
  // get no second answer: the first one said the connection closes.
  if (!socket.writable || error.code === "ECONNRESET" || closing.has(socket)) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large"] : [400, "Bad Request"];
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadRequest</Code><Message>${escapeXml("The request could not be parsed.")}</Message></Error>`;
  // An answer to HEAD has no body (RFC 9110, 9.3.2): a client reading one would take the body for
  // the start of the next response.
  const head = error.rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? "" : body}`,
  );
}

export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const clock = options.clock ?? (() => new Date());
  const cache = new EdgeCache(options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES, options.statsBuffer);
  const maxCachedObject = options.maxCachedObjectBytes ?? DEFAULT_MAX_CACHED_OBJECT_BYTES;
  const presigner = new S3Presigner(options.origin, async () => options.credentials);
  const cors: EdgeCorsPolicy = { rule: options.cors ?? CDN_CORS, bucketMethods: CDN_BUCKET_READ_METHODS };
  const origins = new OriginReads({ cache, presigner, maxCachedObjectBytes: maxCachedObject, clock });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    if (req.httpVersionMajor !== 1) return badRequest(res, "The HTTP version is not supported.");
    const hostHeaders = req.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase() === "host");
    if (hostHeaders.length > 1) return badRequest(res, "The request has more than one Host header.");
    const parsed = parseTarget(req.url, req.headers.host);
    if (!parsed.ok) return badRequest(res, parsed.message);
    const target = parsed.target;
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
      sendXmlError(
        res,
        403,
        "MethodNotAllowed",
        "This distribution is not configured to allow the HTTP request method that was used for this request.",
      );
      return;
    }
    // Preflights carry the whole URL, so they are verified like the request they announce.
    const verdict = verifySignedResource(
      resourceUrl(target),
      signingParams(target),
      options.publicKeys,
      Math.floor(clock().getTime() / 1000),
      req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "",
    );
    if (!verdict.ok) {
      options.log?.({
        component: "edge",
        level: "info",
        message: "signed URL refused",
        reason: verdict.reason,
      });
      const { code, message } = refusal(verdict.reason);
      // Set apart from the error's headers so the request log can read it.
      res.setHeader("x-cache", ERROR);
      sendXmlError(res, 403, code, message);
      return;
    }
    if (method === "OPTIONS") return answerPreflight(cors, req, res);

    const viewerCors = corsHeaders(cors, req, false);
    const key = cacheKey(target);
    const ranged = req.headers.range !== undefined;
    // A miss of an object already on its way is answered from that one origin read.
    const inFlight = origins.inFlight(key);
    const joined = inFlight ? await origins.joined(key) : undefined;
    if (joined) return sendFromFill(req, res, joined, HIT, viewerCors);
    const cached = cache.lookup(key, clock().getTime());
    if (cached) return sendCached(req, res, cached, HIT, viewerCors);
    await origins.read(req, res, target, key, viewerCors, !ranged && !inFlight);
  }

  const server = loggingServer(
    "edge",
    options.log,
    handle,
    (res) => sendXmlError(res, 502, "BadGateway", "CloudFront wasn't able to connect to the origin."),
    (res) => ({ cache: res.getHeader("x-cache") }),
  );
  // A request without Host gets the handler's XML 400 instead of Node's bare one. The server reads
  // this createServer option from the instance per request; @types/node does not declare it.
  (server as typeof server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on("clientError", answerClientError);
  const url = await listen(server, options.port, options.host);
  let api: RunningCloudFrontApi | undefined;
  if (options.cloudFrontApi) {
    try {
      api = await startCloudFrontApi(
        {
          ...options.cloudFrontApi,
          clock,
          ...(options.host ? { host: options.host } : {}),
          ...(options.log ? { log: options.log } : {}),
        },
        (paths) => {
          origins.invalidate(paths);
          return cache.invalidate(paths);
        },
      );
    } catch (error) {
      await closeServer(server);
      throw error;
    }
  }
  return {
    url,
    ...(api ? { apiUrl: api.url } : {}),
    cacheStats: () => cache.stats(),
    async close() {
      await api?.close();
      await closeServer(server);
    },
  };
}
