import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { S3Presigner } from "../../functions/signers/s3-presigner";
import { type EdgeCache, invalidationMatches } from "./cache";
import { Fill } from "./fill";
import { forwardedHeaders, originGet, ttlSeconds } from "./origin";
import { type EdgeTarget, originQuery } from "./request";
import { sendFromFill } from "./response";

export const HIT = "Hit from cloudfront";
export const MISS = "Miss from cloudfront";
export const ERROR = "Error from cloudfront";

/** A read of one cache key from the origin that later misses of the key wait for and share. */
interface Flight {
  /** The fill, once the origin said the object is cacheable; undefined if it is not. */
  readonly fill: Promise<Fill | undefined>;
  /** Set by an invalidation of the key while in flight: the object is served but not cached. */
  revoked: boolean;
}

export interface MissOptions {
  readonly cache: EdgeCache;
  readonly presigner: S3Presigner;
  readonly maxCachedObjectBytes: number;
  readonly clock: () => Date;
}

/**
 * The edge's origin side. A miss of a key no one is reading yet reads it from the origin; misses of
 * the same key that arrive meanwhile wait for that read's answer and, when it is cacheable, are
 * served from it as it arrives (one origin read for all of them). An answer that is not cacheable
 * (not a 200, no-store, larger than the per-object limit, or no room left beside the objects in
 * flight) streams to its own viewer, paced by that viewer, and is not shared.
 */
export class OriginReads {
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly options: MissOptions) {}

  /** The object in flight for `key`, if one is and it is cacheable; the request counts as a hit. */
  async joined(key: string): Promise<Fill | undefined> {
    const flight = this.flights.get(key);
    const fill = flight ? await flight.fill : undefined;
    if (fill) this.options.cache.count("hit");
    return fill;
  }

  /** Whether a read of `key` is in flight, cacheable or not yet known. */
  inFlight(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * Reads the object for a viewer whose request missed the cache. `share` is false for a ranged
   * request (forwarded with its range, as CloudFront forwards a range it does not hold) and for a
   * request that already waited for another one's answer and found it not cacheable.
   */
  async read(
    req: IncomingMessage,
    res: ServerResponse,
    target: EdgeTarget,
    key: string,
    viewerCors: Record<string, string>,
    share: boolean,
  ): Promise<void> {
    const { cache, presigner, clock } = this.options;
    let settle: (fill: Fill | undefined) => void = () => undefined;
    const fill = new Promise<Fill | undefined>((resolve) => {
      settle = resolve;
    });
    const flight: Flight = { fill, revoked: false };
    if (share) this.flights.set(key, flight);
    const land = (fill: Fill | undefined) => {
      if (!fill && this.flights.get(key) === flight) this.flights.delete(key);
      settle(fill);
    };
    let origin: IncomingMessage;
    try {
      const range = share ? undefined : req.headers.range;
      const ifRange = req.headers["if-range"];
      const originUrl = await presigner.presign({
        method: "GET",
        key: target.key,
        query: originQuery(target),
        expiresInSeconds: 60,
        now: clock(),
      });
      origin = await originGet(
        originUrl,
        range === undefined ? {} : { range, ...(typeof ifRange === "string" ? { "if-range": ifRange } : {}) },
      );
    } catch (error) {
      land(undefined);
      throw error;
    }
    const headers = forwardedHeaders(origin);
    const size = Number(origin.headers["content-length"] ?? "-1");
    const ttl = origin.statusCode === 200 ? ttlSeconds(headers["cache-control"]) : 0;
    const cacheable =
      share && origin.statusCode === 200 && ttl > 0 && size >= 0 && size <= this.options.maxCachedObjectBytes;
    const reservation = cacheable ? cache.reserve(size) : undefined;
    if (!reservation) {
      land(undefined);
      return passThrough(req, res, origin, headers, size, viewerCors);
    }
    const filling = new Fill(headers, size);
    land(filling);
    void filling.read(origin).then((complete) => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
      if (complete && !flight.revoked) {
        cache.store(
          key,
          { status: 200, headers, body: filling.body, expiresAt: clock().getTime() + ttl * 1000 },
          reservation,
        );
      } else {
        cache.release(reservation);
      }
    });
    await sendFromFill(req, res, filling, MISS, viewerCors);
  }

  /** Keeps reads in flight under these invalidation paths out of the cache; later misses read anew. */
  invalidate(paths: readonly string[]): void {
    for (const [key, flight] of [...this.flights]) {
      if (!paths.some((path) => invalidationMatches(path, key))) continue;
      flight.revoked = true;
      this.flights.delete(key);
    }
  }
}

/** An answer the edge does not cache, streamed to the viewer at the viewer's pace. */
async function passThrough(
  req: IncomingMessage,
  res: ServerResponse,
  origin: IncomingMessage,
  headers: Record<string, string>,
  size: number,
  viewerCors: Record<string, string>,
): Promise<void> {
  const status = origin.statusCode ?? 502;
  const contentRange = origin.headers["content-range"];
  res.setHeader("x-cache", status >= 400 ? ERROR : MISS);
  res.writeHead(status, {
    ...headers,
    ...(size >= 0 ? { "content-length": size } : {}),
    ...(contentRange ? { "content-range": contentRange } : {}),
    ...viewerCors,
  });
  if (req.method === "HEAD") {
    origin.destroy();
    res.end();
    return;
  }
  await pipeline(origin, res);
}
