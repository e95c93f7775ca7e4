import { createHash, randomUUID } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { applyCors, type CorsRule } from "./cors";
import { writeDurably } from "./durable-write";
import { closeServer, listen, loggingServer } from "./http-listen";
import { type CompleteProblem, MultipartUploads, type UploadRecord } from "./multipart-uploads";
import { escapeXml, sendXml, sendXmlError, unescapeXml } from "./s3-xml";
import { verifyAuthorizationHeader, verifyPresigned } from "./sigv4-verify";

/**
 * An S3-compatible object store for the local stack, path-style (`/BUCKET/KEY`), holding one
 * bucket on disk. Every request must be a SigV4 presigned request that verifies (method, host,
 * path, signed headers, query, expiry) before anything is read or written; each access key may only
 * do what its AWS counterpart may (the function writes and deletes, the edge reads, as with OAC).
 *
 * Written here rather than taken from s3rver because s3rver accepts presigned requests whose
 * signature does not verify; a local stack that accepts a tampered URL would hide real bugs.
 * An upload is acknowledged only after its bytes are fsynced and renamed into place, so a 200 is
 * never lost by a crash or Ctrl-C, and a broken upload never replaces the previous object.
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
  /** Keys that may PUT and DELETE (the function role). */
  readonly writer: StorageCredentials;
  /** Keys that may GET and HEAD (the CDN edge through OAC). */
  readonly reader: StorageCredentials;
  readonly cors?: CorsRule;
  readonly clock?: () => Date;
  readonly log?: (fields: Record<string, unknown>) => void;
}

interface ObjectMeta {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly contentType: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  /** `x-amz-meta-*` headers, by lower-case name without the prefix. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly lastModified: string;
}

const META_PREFIX = "x-amz-meta-";

function metadataFrom(headers: IncomingMessage["headers"]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(META_PREFIX) && typeof value === "string")
      metadata[name.slice(META_PREFIX.length)] = value;
  }
  return metadata;
}

export interface RunningStorage {
  readonly url: string;
  close(): Promise<void>;
}

function contentLength(req: IncomingMessage): number | undefined {
  const declared = req.headers["content-length"];
  return declared === undefined ? undefined : Number(declared);
}

export async function startStorage(options: StorageOptions): Promise<RunningStorage> {
  const clock = options.clock ?? (() => new Date());
  const objectsDir = path.join(options.dataDir, "objects", options.bucket);
  const tmpDir = path.join(options.dataDir, "tmp");
  await fs.mkdir(objectsDir, { recursive: true });
  await fs.mkdir(tmpDir, { recursive: true });
  // Leftovers of uploads that were never acknowledged. Multipart uploads survive restarts, as in S3.
  for (const name of await fs.readdir(tmpDir)) await fs.rm(path.join(tmpDir, name), { force: true });
  const multipart = new MultipartUploads(path.join(options.dataDir, "multipart", options.bucket));
  const secrets = new Map([
    [options.writer.accessKeyId, options.writer.secretAccessKey],
    [options.reader.accessKeyId, options.reader.secretAccessKey],
  ]);
  const objectPath = (key: string) =>
    path.join(objectsDir, createHash("sha256").update(key, "utf8").digest("hex"));
  const readMeta = async (key: string): Promise<ObjectMeta | undefined> => {
    try {
      return JSON.parse(await fs.readFile(`${objectPath(key)}.json`, "utf8")) as ObjectMeta;
    } catch {
      return undefined;
    }
  };

  // Checked before the body is read, and again just before the rename in case another upload won.
  const createOnlyConflict = async (req: IncomingMessage, key: string) =>
    req.headers["if-none-match"] === "*" && (await readMeta(key)) !== undefined;
  const preconditionFailed = (res: ServerResponse) =>
    sendXmlError(
      res,
      412,
      "PreconditionFailed",
      "At least one of the pre-conditions you specified did not hold",
    );

  /** Renames a durable file and its description into place: the object appears whole or not at all. */
  async function install(tmp: string, key: string, meta: ObjectMeta): Promise<void> {
    const metaTmp = `${tmp}.json`;
    await fs.writeFile(metaTmp, JSON.stringify(meta), { flag: "wx" });
    await fs.rename(tmp, objectPath(key));
    await fs.rename(metaTmp, `${objectPath(key)}.json`);
  }

  const incompleteBody = (res: ServerResponse) =>
    sendXmlError(
      res,
      400,
      "IncompleteBody",
      "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    );

  async function put(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    if (await createOnlyConflict(req, key)) {
      preconditionFailed(res);
      req.resume();
      return;
    }
    const tmp = path.join(tmpDir, randomUUID());
    try {
      const { md5, size } = await writeDurably(req, tmp, contentLength(req));
      if (await createOnlyConflict(req, key)) {
        await fs.rm(tmp, { force: true });
        preconditionFailed(res);
        return;
      }
      const etag = `"${md5}"`;
      const meta: ObjectMeta = {
        key,
        size,
        etag,
        contentType: req.headers["content-type"] ?? "binary/octet-stream",
        ...(req.headers["cache-control"] ? { cacheControl: req.headers["cache-control"] } : {}),
        ...(req.headers["content-disposition"]
          ? { contentDisposition: req.headers["content-disposition"] }
          : {}),
        metadata: metadataFrom(req.headers),
        lastModified: clock().toUTCString(),
      };
      await install(tmp, key, meta);
      res.writeHead(200, { etag, "content-length": 0 }).end();
    } catch (error) {
      await fs.rm(tmp, { force: true });
      await fs.rm(`${tmp}.json`, { force: true });
      options.log?.({
        component: "storage",
        level: "warn",
        message: "upload not stored",
        key,
        error: String(error),
      });
      if (!res.headersSent) incompleteBody(res);
    }
  }

  async function get(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const meta = await readMeta(key);
    if (!meta) {
      sendXmlError(res, 404, "NoSuchKey", "The specified key does not exist.");
      return;
    }
    const headers: Record<string, string | number> = {
      etag: meta.etag,
      "content-type": meta.contentType,
      "last-modified": meta.lastModified,
      "accept-ranges": "bytes",
      ...(meta.cacheControl ? { "cache-control": meta.cacheControl } : {}),
      ...(meta.contentDisposition ? { "content-disposition": meta.contentDisposition } : {}),
      ...Object.fromEntries(Object.entries(meta.metadata ?? {}).map(([n, v]) => [META_PREFIX + n, v])),
    };
    const range = parseRange(req.headers.range, meta.size);
    if (range === "unsatisfiable") {
      sendXmlError(res, 416, "InvalidRange", "The requested range is not satisfiable", {
        "content-range": `bytes */${meta.size}`,
      });
      return;
    }
    const [start, end] = range ?? [0, meta.size - 1];
    const length = meta.size === 0 ? 0 : end - start + 1;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      "content-length": length,
      ...(range ? { "content-range": `bytes ${start}-${end}/${meta.size}` } : {}),
    });
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return;
    }
    await pipeline(createReadStream(objectPath(key), { start, end }), res);
  }

  async function remove(res: ServerResponse, key: string): Promise<void> {
    await fs.rm(`${objectPath(key)}.json`, { force: true });
    await fs.rm(objectPath(key), { force: true });
    res.writeHead(204).end();
  }

  const server = loggingServer("storage", options.log, handle, (res) =>
    sendXmlError(res, 500, "InternalError", "We encountered an internal error. Please try again."),
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.cors && applyCors(options.cors, req, res)) return;
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? "" : rawUrl.slice(q + 1);
    const method = req.method ?? "GET";
    const signed = { method, rawPath, rawQuery, headers: req.headers };
    const secretFor = (id: string) => secrets.get(id);
    // SDK clients (the function's multipart calls) sign the Authorization header; URLs handed to
    // clients are presigned.
    const verdict = req.headers.authorization
      ? verifyAuthorizationHeader(signed, secretFor, clock())
      : verifyPresigned(signed, secretFor, clock());
    if (!verdict.ok) {
      req.resume();
      sendXmlError(
        res,
        verdict.code === "AuthorizationQueryParametersError" ? 400 : 403,
        verdict.code,
        verdict.message,
      );
      return;
    }
    const prefix = `/${encodeURIComponent(options.bucket)}/`;
    if (!rawPath.startsWith(prefix)) {
      req.resume();
      sendXmlError(res, 404, "NoSuchBucket", "The specified bucket does not exist");
      return;
    }
    const key = decodeURIComponent(rawPath.slice(prefix.length));
    const query = new URLSearchParams(rawQuery);
    const uploadId = query.get("uploadId");
    const isWriter = verdict.accessKeyId === options.writer.accessKeyId;
    // The function role writes, deletes and runs multipart uploads; the edge (OAC) only reads.
    const writes = method === "PUT" || method === "DELETE" || method === "POST" || uploadId !== null;
    const allowed = writes === isWriter && ["PUT", "DELETE", "GET", "HEAD", "POST"].includes(method);
    if (!allowed || key === "") {
      req.resume();
      sendXmlError(res, 403, "AccessDenied", "Access Denied");
      return;
    }
    if (method === "POST" && query.has("uploads")) return createUpload(req, res, key);
    if (uploadId !== null) {
      const upload = await multipart.get(uploadId, key);
      if (!upload) {
        req.resume();
        sendXmlError(
          res,
          404,
          "NoSuchUpload",
          "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        );
        return;
      }
      if (method === "PUT") return uploadPart(req, res, uploadId, query.get("partNumber"));
      if (method === "GET") return listParts(res, key, uploadId, query);
      if (method === "DELETE") {
        await multipart.remove(uploadId);
        res.writeHead(204).end();
        return;
      }
      if (method === "POST") {
        const body = await readSmallBody(req, verdict.payloadHash);
        if (body === undefined) {
          sendXmlError(
            res,
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
          );
          return;
        }
        return completeUpload(req, res, key, uploadId, upload, body);
      }
    }
    if (method === "PUT") return put(req, res, key);
    if (method === "DELETE") return remove(res, key);
    return get(req, res, key);
  }

  /** A request body small enough to hold (a complete request's XML), checked against its signed hash. */
  async function readSmallBody(req: IncomingMessage, hash: string | undefined): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 4 * 1024 * 1024) throw new Error("request body too large");
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    if (hash && hash !== "UNSIGNED-PAYLOAD" && createHash("sha256").update(body).digest("hex") !== hash) {
      return undefined;
    }
    return body.toString("utf8");
  }

  async function createUpload(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    req.resume();
    const uploadId = await multipart.create({
      key,
      contentType: req.headers["content-type"] ?? "binary/octet-stream",
      ...(req.headers["content-disposition"]
        ? { contentDisposition: req.headers["content-disposition"] }
        : {}),
      metadata: metadataFrom(req.headers),
      initiated: clock().toISOString(),
    });
    sendXml(
      res,
      "InitiateMultipartUploadResult",
      `<Bucket>${escapeXml(options.bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId>`,
    );
  }

  async function uploadPart(
    req: IncomingMessage,
    res: ServerResponse,
    uploadId: string,
    partNumberText: string | null,
  ): Promise<void> {
    const partNumber = Number(partNumberText);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      req.resume();
      sendXmlError(
        res,
        400,
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
      );
      return;
    }
    try {
      const part = await multipart.putPart(uploadId, partNumber, req, contentLength(req), clock());
      res.writeHead(200, { etag: part.etag, "content-length": 0 }).end();
    } catch (error) {
      options.log?.({
        component: "storage",
        level: "warn",
        message: "part not stored",
        uploadId,
        partNumber,
        error: String(error),
      });
      incompleteBody(res);
    }
  }

  async function listParts(
    res: ServerResponse,
    key: string,
    uploadId: string,
    query: URLSearchParams,
  ): Promise<void> {
    const maxParts = Math.min(Number(query.get("max-parts") ?? "1000") || 1000, 1000);
    const marker = Number(query.get("part-number-marker") ?? "0") || 0;
    const all = (await multipart.listParts(uploadId)).filter((p) => p.partNumber > marker);
    const page = all.slice(0, maxParts);
    const truncated = all.length > page.length;
    const last = page.at(-1)?.partNumber ?? marker;
    sendXml(
      res,
      "ListPartsResult",
      `<Bucket>${escapeXml(options.bucket)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId>` +
        `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${last}</NextPartNumberMarker>` +
        `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>` +
        page
          .map(
            (p) =>
              `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${p.lastModified}</LastModified><ETag>${escapeXml(p.etag)}</ETag><Size>${p.size}</Size></Part>`,
          )
          .join(""),
    );
  }

  async function completeUpload(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    uploadId: string,
    upload: UploadRecord,
    body: string,
  ): Promise<void> {
    const requested = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1] ?? "")?.[1] ?? "0"),
      etag: unescapeXml(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1] ?? "")?.[1] ?? ""),
    }));
    if (await createOnlyConflict(req, key)) {
      preconditionFailed(res);
      return;
    }
    const tmp = path.join(tmpDir, randomUUID());
    const assembled = await multipart.assemble(uploadId, requested, tmp);
    if (typeof assembled === "string") {
      const messages: Record<CompleteProblem, string> = {
        InvalidPart: "One or more of the specified parts could not be found or the ETag did not match.",
        InvalidPartOrder: "The list of parts was not in ascending order.",
        EntityTooSmall: "Your proposed upload is smaller than the minimum allowed object size.",
      };
      sendXmlError(res, 400, assembled, messages[assembled]);
      return;
    }
    if (await createOnlyConflict(req, key)) {
      await fs.rm(tmp, { force: true });
      preconditionFailed(res);
      return;
    }
    await install(tmp, key, {
      key,
      size: assembled.size,
      etag: assembled.etag,
      contentType: upload.contentType,
      ...(upload.contentDisposition ? { contentDisposition: upload.contentDisposition } : {}),
      metadata: upload.metadata,
      lastModified: clock().toUTCString(),
    });
    await multipart.remove(uploadId);
    sendXml(
      res,
      "CompleteMultipartUploadResult",
      `<Bucket>${escapeXml(options.bucket)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(assembled.etag)}</ETag>`,
    );
  }
  const url = await listen(server, options.port, options.host);
  return { url, close: () => closeServer(server) };
}

/** A single `bytes=` range, as S3 and CloudFront serve; anything else is ignored (whole object). */
export function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | "unsatisfiable" | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return [start, end];
}
