import type { IncomingMessage, ServerResponse } from "node:http";
import * as path from "node:path";
import { applyCors, type CorsRule } from "../http/cors";
import { closeServer, listen, loggingServer } from "../http/listen";
import { sendXmlError } from "../http/xml";
import { verifyAuthorizationHeader, verifyPresigned } from "../sigv4";
import { sendS3Error } from "./s3/errors";
import { MAX_KEY_BYTES, refuseLongKey, type S3Call, type StorageContext } from "./s3/request";
import { routeOf, type S3Action } from "./s3/routes";
import { lockDataDir } from "./store/data-dir-lock";
import type { WriteFault } from "./store/durable-write";
import { type LifecycleRules, LifecycleSweeper, resolveLifecycle, type SweepReport } from "./store/lifecycle";
import { MultipartUploads } from "./store/multipart-uploads";
import { ObjectStore } from "./store/object-store";

export { parseRange } from "../http/byte-range";
export type { LifecycleRules, SweepReport } from "./store/lifecycle";

/**
 * The S3 HTTP surface of the local stack, path-style (`/BUCKET/KEY`), over one versioned bucket
 * kept by `ObjectStore`. Every request must carry a SigV4 signature that verifies (presigned, or in
 * the Authorization header as SDK clients send) before anything is read or written, and each access
 * key may only do what its AWS counterpart may: the function role writes, lists and copies; the
 * edge, like CloudFront through OAC, only reads objects and their versions.
 *
 * Written here rather than taken from s3rver because s3rver accepts presigned requests whose
 * signature does not verify; a local stack that accepts a tampered URL would hide real bugs.
 * An upload is acknowledged only after its bytes are fsynced and installed, so a 200 is never
 * lost by a crash or Ctrl-C, and a broken upload never replaces the previous version.
 */
export interface StorageCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface StorageOptions {
  readonly dataDir: string;
  readonly bucket: string;
  readonly port?: number;
  readonly host?: string;
  /** Keys of the function role: objects, multipart uploads, listings, copies, deletes. */
  readonly writer: StorageCredentials;
  /** Keys that may GET and HEAD objects and their versions (the CDN edge through OAC). */
  readonly reader: StorageCredentials;
  readonly cors?: CorsRule;
  readonly clock?: () => Date;
  readonly log?: (fields: Record<string, unknown>) => void;
  /** Stands for a failing disk in tests: thrown from before a write, it fails that write. */
  readonly writeFault?: WriteFault;
  /**
   * The deployed bucket's lifecycle rules, applied at start and then every `sweepIntervalMs`
   * (default one hour) by the injected clock: noncurrent versions expire after
   * `noncurrentVersionExpirationDays` (default 30), incomplete uploads after
   * `abortIncompleteMultipartUploadDays` (default 7), and a delete marker with nothing left behind
   * it goes (`expiredObjectDeleteMarker`, default true).
   */
  readonly lifecycle?: Partial<LifecycleRules> & { readonly sweepIntervalMs?: number };
}

export interface RunningStorage {
  readonly url: string;
  /** What the sweep at start removed. */
  readonly startSweep: SweepReport;
  /** Applies the lifecycle rules now (after a sweep already running, if any). */
  sweep(): Promise<SweepReport>;
  close(): Promise<void>;
}

/**
 * OAC's grant in the bucket policy: reading objects and (for version-pinned URLs) their versions,
 * and no s3:ListBucket, so a missing key is 403 to the edge as it is to CloudFront.
 */
const READER_ACTIONS: ReadonlySet<S3Action> = new Set(["s3:GetObject", "s3:GetObjectVersion"]);

/**
 * S3 refuses a signed request carrying an `x-amz-*` header that is not signed, so a presigned URL
 * cannot be given metadata (an end-to-end checksum, say) its signer did not choose. Error shape as
 * S3 answers: AccessDenied, "There were headers present in the request which were not signed",
 * with a HeadersNotSigned element.
 */
function unsignedAmzHeaders(req: IncomingMessage, signed: readonly string[]): string[] {
  return Object.keys(req.headers).filter((name) => name.startsWith("x-amz-") && !signed.includes(name));
}

export async function startStorage(options: StorageOptions): Promise<RunningStorage> {
  const unlock = await lockDataDir(options.dataDir);
  try {
    return await serveStorage(options, unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function serveStorage(options: StorageOptions, unlock: () => Promise<void>): Promise<RunningStorage> {
  const clock = options.clock ?? (() => new Date());
  const store = await ObjectStore.open(options.dataDir, options.bucket, {
    clock,
    ...(options.writeFault ? { fault: options.writeFault } : {}),
  });
  // Multipart uploads survive restarts, as in S3.
  const uploads = new MultipartUploads(
    path.join(options.dataDir, "multipart", options.bucket),
    options.writeFault,
  );
  const sweeper = new LifecycleSweeper(
    store,
    uploads,
    resolveLifecycle(options.lifecycle),
    clock,
    options.log,
  );
  const startSweep = await sweeper.sweep();
  const ctx: StorageContext = {
    bucket: options.bucket,
    store,
    uploads,
    clock,
    ...(options.log ? { log: options.log } : {}),
  };
  const secrets = new Map([
    [options.writer.accessKeyId, options.writer.secretAccessKey],
    [options.reader.accessKeyId, options.reader.secretAccessKey],
  ]);
  const server = loggingServer("storage", options.log, handle, (res) => sendS3Error(res, "InternalError"));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.cors && applyCors(options.cors, req, res)) return;
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? "" : rawUrl.slice(q + 1);
    const method = req.method ?? "GET";
    const signed = { method, rawPath, rawQuery, headers: req.headers };
    const secretFor = (id: string) => secrets.get(id);
    // SDK clients (the function's calls) sign the Authorization header; URLs handed to clients are
    // presigned.
    const verdict = req.headers.authorization
      ? verifyAuthorizationHeader(signed, secretFor, clock())
      : verifyPresigned(signed, secretFor, clock());
    const refuse = (
      code: Parameters<typeof sendS3Error>[1],
      more: Parameters<typeof sendS3Error>[2] = {},
    ) => {
      req.resume();
      sendS3Error(res, code, more);
    };
    if (!verdict.ok) {
      req.resume();
      const status = verdict.code === "AuthorizationQueryParametersError" ? 400 : 403;
      sendXmlError(res, status, verdict.code, verdict.message);
      return;
    }
    const unsigned = unsignedAmzHeaders(req, verdict.signedHeaders);
    if (unsigned.length > 0) {
      refuse("AccessDenied", {
        message: "There were headers present in the request which were not signed",
        details: { HeadersNotSigned: unsigned.join(", ") },
      });
      return;
    }
    // Node keeps only the first of repeated Content-Type headers, so the type stored could differ
    // from the one a signature or a proxy saw. S3 documents no error for this case; a 400 that
    // names the header refuses it before anything is stored.
    if ((req.headersDistinct["content-type"]?.length ?? 0) > 1) {
      refuse("InvalidArgument", {
        message: "The Content-Type header may only be sent once.",
        details: { ArgumentName: "Content-Type" },
      });
      return;
    }
    const bucketPath = `/${encodeURIComponent(options.bucket)}`;
    if (rawPath !== bucketPath && !rawPath.startsWith(`${bucketPath}/`)) {
      refuse("NoSuchBucket");
      return;
    }
    let key: string;
    try {
      key = decodeURIComponent(rawPath.slice(bucketPath.length + 1));
    } catch {
      refuse("InvalidArgument", { message: "The object key is not valid percent-encoding." });
      return;
    }
    if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
      req.resume();
      refuseLongKey(res, key);
      return;
    }
    const query = new URLSearchParams(rawQuery);
    const payloadHash = verdict.payloadHash;
    const mayDo = (action: S3Action) =>
      verdict.accessKeyId === options.writer.accessKeyId || READER_ACTIONS.has(action);
    const call: S3Call = {
      mayList: mayDo("s3:ListBucket"),
      req,
      res,
      key,
      query,
      ...(payloadHash && payloadHash !== "UNSIGNED-PAYLOAD" ? { bodySha256: payloadHash } : {}),
    };
    const route = routeOf(ctx, method, key, query, req);
    if (!route) {
      refuse("MethodNotAllowed");
      return;
    }
    if (!route.actions.every(mayDo)) {
      refuse("AccessDenied");
      return;
    }
    await route.run(call);
  }

  const url = await listen(server, options.port, options.host);
  sweeper.start(options.lifecycle?.sweepIntervalMs ?? 60 * 60 * 1000);
  return {
    url,
    startSweep,
    sweep: () => sweeper.sweep(),
    close: async () => {
      await sweeper.stop();
      await closeServer(server).finally(unlock);
    },
  };
}
