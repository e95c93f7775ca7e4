import type { JWTVerifyGetKey } from "jose";
import { BadRequest } from "./api/http-error";
import { keyFromRawPath } from "./api/object-key";
import { checkSinglePut, describeUpload, headersToSend, signedUploadHeaders } from "./api/upload-rules";
import { type Authorizer, createAuthorizer, type Principal } from "./auth/authorizer";
import type { HandlerConfig } from "./config";
import type { FunctionUrlEvent, FunctionUrlResult } from "./http/function-url";
import { redactQuery } from "./http/query-redaction";
import { errorResponse, jsonResponse, respond, type TransferInstruction } from "./http/responses";
import { parseCompleteBody } from "./routes/complete-body";
import { createFileRoutes } from "./routes/files";
import { createMultipartRoutes, type JsonResult } from "./routes/multipart";
import { asXmlError, completionAsJson, multipartXml, objectLocation, wantsXml } from "./routes/multipart-xml";
import {
  actionOf,
  type FileOperation,
  isFileOperation,
  type Operation,
  operationOf,
} from "./routes/operations";
import { createReads } from "./routes/reads";
import { type FileStore, s3FileStore } from "./s3/files";
import { type MultipartStore, s3MultipartStore } from "./s3/multipart";
import { type ObjectLookup, s3ObjectLookup } from "./s3/objects";
import type { CloudFrontSigningKey } from "./signers/cloudfront-signer";
import { type CredentialsProvider, S3Presigner } from "./signers/s3-presigner";
import { millisSince } from "./telemetry/elapsed";
import { jsonLogger, type Logger } from "./telemetry/log";
import { addRequestMetrics, type Trace } from "./telemetry/metrics";

export type FunctionUrlHandler = (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;

export interface HandlerDeps {
  readonly config: HandlerConfig;
  /** Resolves the CloudFront signing key; called per request, so it must cache. */
  readonly signingKey: () => Promise<CloudFrontSigningKey>;
  readonly credentials: CredentialsProvider;
  readonly clock?: () => Date;
  readonly log?: Logger;
  /** Replaces the issuer's remote JWKS (tests, or a key set already at hand). */
  readonly jwks?: JWTVerifyGetKey;
  /** Replaces the S3 client for multipart calls. */
  readonly multipart?: MultipartStore;
  /** Replaces the HeadObject lookup that pins reads to a version. */
  readonly objects?: ObjectLookup;
  /** Replaces the S3 client for listing, copying and deleting in bulk. */
  readonly files?: FileStore;
}

export type { TransferInstruction } from "./http/responses";
export { ALLOWED_METHODS } from "./routes/operations";

export function createHandler(deps: HandlerDeps): FunctionUrlHandler {
  const { config } = deps;
  const clock = deps.clock ?? (() => new Date());
  const log = deps.log ?? jsonLogger();
  const authorizer: Authorizer = createAuthorizer(
    config.auth,
    config.publicReadPrefixes,
    clock,
    deps.jwks,
    log,
  );
  const presigner = new S3Presigner(config.s3, deps.credentials);
  const multipart = deps.multipart ?? s3MultipartStore(config.s3, deps.credentials);
  const objects = deps.objects ?? s3ObjectLookup(presigner, clock);
  const read = createReads({ config, objects, signingKey: deps.signingKey });
  const fileRoute = createFileRoutes({
    authorizer,
    objects,
    files: deps.files ?? s3FileStore(config.s3, deps.credentials),
  });
  const limits = config.uploads;
  const uploads = createMultipartRoutes(multipart, limits);
  // A write URL is signed with the role's session and dies with it, whatever X-Amz-Expires says
  // (Amazon S3 User Guide, "Sharing objects with presigned URLs"), so writes have their own limit.
  const writeExpirySeconds = Math.min(config.expirySeconds, config.maxWriteExpirySeconds);

  async function route(
    event: FunctionUrlEvent,
    method: string,
    trace: Trace,
  ): Promise<{ result: FunctionUrlResult; key: string; principal: Principal }> {
    const headers = event.headers ?? {};
    const operation = operationOf(method, event.rawQueryString ?? "", {
      listing: event.rawPath === "" || event.rawPath.endsWith("/"),
      ...(headers["copy-source"] === undefined ? {} : { copySource: headers["copy-source"] }),
    });
    trace.operation = operation.kind;
    const iamCaller = event.requestContext.authorizer?.iam?.userArn;
    const auth = { headers, ...(iamCaller ? { iamCaller } : {}) };
    if (isFileOperation(operation)) return fileRoute(operation, event, auth);
    const key = keyFromRawPath(event.rawPath);
    const principal = await authorizer.authorize(auth, actionOf(operation), key);
    const now = clock();
    if (operation.kind === "read") {
      return { result: await read(operation, key, headers.accept, now, trace), key, principal };
    }
    const outcome = await perform(operation, key, headers, event, now, trace);
    const result =
      "url" in outcome
        ? respond(outcome, headers.accept)
        : (wantsXml(headers.accept) && multipartXml(operation.kind, outcome.status, outcome.body)) ||
          jsonResponse(outcome.status, outcome.body);
    return { result, key, principal };
  }

  function perform(
    operation: Exclude<Operation, { kind: "read" } | FileOperation>,
    key: string,
    headers: Headers,
    event: FunctionUrlEvent,
    now: Date,
    trace: Trace,
  ): Promise<TransferInstruction | JsonResult> {
    switch (operation.kind) {
      case "put": {
        const upload = describeUpload(headers, limits, bodyLength(event));
        checkSinglePut(upload, limits);
        const signed = signedUploadHeaders(upload);
        const ifNoneMatch = createOnly(headers);
        if (ifNoneMatch) signed["if-none-match"] = "*";
        return presign("PUT", key, signed, {}, now, trace);
      }
      case "delete":
        return presign("DELETE", key, {}, {}, now, trace);
      case "create-multipart":
        return uploads.create(key, describeUpload(headers, limits, 0));
      case "sign-part":
        return partInstructions(
          key,
          operation.uploadId,
          operation.partNumber,
          operation.partNumber,
          now,
          trace,
        ).then(withoutPartNumber);
      case "sign-parts":
        return signParts(key, operation.uploadId, operation.first, operation.last, now, trace);
      case "list-parts":
        return uploads.listParts(key, operation.uploadId);
      case "complete-multipart":
        return uploads.complete(
          key,
          operation.uploadId,
          parseCompleteBody(completionAsJson(event)),
          createOnly(headers),
          objectLocation(event, key),
        );
      case "abort-multipart":
        return multipart.abort(key, operation.uploadId).then(() => ({ status: 204 }));
    }
  }

  const expiresAtFor = (now: Date) =>
    // SigV4's X-Amz-Date carries whole seconds, so this is the instant the URL really stops working.
    Math.floor(now.getTime() / 1000) + writeExpirySeconds;

  async function presign(
    method: "PUT" | "DELETE",
    key: string,
    signedHeaders: Record<string, string>,
    query: Record<string, string>,
    now: Date,
    trace: Trace,
  ): Promise<TransferInstruction> {
    const started = process.hrtime.bigint();
    const url = await presigner.presign({
      method,
      key,
      signedHeaders,
      query,
      expiresInSeconds: writeExpirySeconds,
      now,
    });
    trace.signingMs += millisSince(started);
    return {
      method,
      url,
      headers: headersToSend(signedHeaders),
      expiresAt: new Date(expiresAtFor(now) * 1000).toISOString(),
    };
  }

  /**
   * The upload is checked first (one ListParts page, which answers NoSuchUpload for an upload that is
   * gone), so a batch of up to 1,000 URLs is never signed for an upload that cannot take them.
   */
  async function partInstructions(
    key: string,
    uploadId: string,
    first: number,
    last: number,
    now: Date,
    trace: Trace,
  ): Promise<Array<TransferInstruction & { partNumber: number }>> {
    await multipart.checkUpload(key, uploadId);
    const parts = [];
    for (let partNumber = first; partNumber <= last; partNumber++) {
      const query = { partNumber: String(partNumber), uploadId };
      parts.push({ partNumber, ...(await presign("PUT", key, {}, query, now, trace)) });
    }
    return parts;
  }

  async function signParts(
    key: string,
    uploadId: string,
    first: number,
    last: number,
    now: Date,
    trace: Trace,
  ): Promise<JsonResult> {
    const parts = (await partInstructions(key, uploadId, first, last, now, trace)).map(
      ({ partNumber, url, headers }) => ({ partNumber, url, headers }),
    );
    return {
      status: 200,
      body: { uploadId, key, parts, expiresAt: new Date(expiresAtFor(now) * 1000).toISOString() },
    };
  }

  return async (event) => {
    const started = Date.now();
    const method = event.requestContext.http.method.toUpperCase();
    const requestId = event.requestContext.requestId;
    let result: FunctionUrlResult;
    let key: string | undefined;
    let principal: Principal | undefined;
    const trace: Trace = { operation: "invalid", signingMs: 0 };
    try {
      ({ result, key, principal } = await route(event, method, trace));
    } catch (error) {
      result = errorResponse(error, log, requestId);
      if (wantsXml(event.headers?.accept)) result = asXmlError(result);
    }
    const durationMs = Date.now() - started;
    // Every request writes this line, so it is filled in place rather than spread together.
    const fields: Record<string, unknown> = { requestId, method };
    if (key !== undefined) fields.key = key;
    // Callers paste tokens and signatures into query strings: only our own parameters keep values.
    if (event.rawQueryString) fields.query = redactQuery(event.rawQueryString);
    if (principal !== undefined) fields.principal = `${principal.kind}:${principal.id}`;
    fields.status = result.statusCode;
    fields.sourceIp = event.requestContext.http.sourceIp;
    fields.durationMs = durationMs;
    addRequestMetrics(fields, trace, result.statusCode, durationMs, clock().getTime());
    log.log("info", "request", fields);
    return result;
  };
}

type Headers = Readonly<Record<string, string | undefined>>;

function createOnly(headers: Headers): boolean {
  const ifNoneMatch = headers["if-none-match"];
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() !== "*") {
    throw new BadRequest(
      "InvalidIfNoneMatch",
      'S3 supports only "If-None-Match: *" (create-only) on uploads',
    );
  }
  return true;
}

function bodyLength(event: FunctionUrlEvent): number {
  if (!event.body) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").length : Buffer.byteLength(event.body);
}

/** A single part's URL, answered like any other transfer. */
function withoutPartNumber(parts: ReadonlyArray<TransferInstruction & { partNumber: number }>) {
  const [part] = parts;
  if (!part) throw new Error("no part URL was signed");
  return { method: part.method, url: part.url, headers: part.headers, expiresAt: part.expiresAt };
}
