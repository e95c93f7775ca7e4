import type { JWTVerifyGetKey } from "jose";
import { type Authorizer, createAuthorizer, type Principal } from "./auth";
import { type CloudFrontSigningKey, signCloudFrontUrl } from "./cloudfront-signer";
import type { HandlerConfig } from "./config";
import type { FunctionUrlEvent, FunctionUrlResult } from "./function-url";
import { BadRequest, type ErrorBody, HttpError, INTERNAL_ERROR, PayloadTooLarge } from "./http-error";
import { errorDetail, jsonLogger, type Logger } from "./log";
import { encodeKeyPath, hasControlCharacter, keyFromRawPath } from "./object-key";
import { actionOf, type Operation, operationOf } from "./operations";
import { type CompletedPart, type MultipartStore, s3MultipartStore } from "./s3-multipart";
import { type CredentialsProvider, S3Presigner } from "./s3-presigner";
import {
  checkSinglePut,
  describeUpload,
  partSizeFor,
  S3_LIMITS,
  signedUploadHeaders,
  type UploadDescription,
} from "./upload-rules";

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
}

/** What a client must send to carry out the transfer itself (the JSON mode). */
export interface TransferInstruction {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export { ALLOWED_METHODS } from "./operations";

/** A JSON answer that is the result itself rather than a transfer to make. */
interface JsonResult {
  readonly status: number;
  readonly body?: unknown;
}

export function createHandler(deps: HandlerDeps): FunctionUrlHandler {
  const { config } = deps;
  const clock = deps.clock ?? (() => new Date());
  const log = deps.log ?? jsonLogger();
  const authorizer: Authorizer = createAuthorizer(config.auth, config.publicReadPrefixes, clock, deps.jwks);
  const presigner = new S3Presigner(config.s3, deps.credentials);
  const multipart = deps.multipart ?? s3MultipartStore(config.s3, deps.credentials);
  const limits = config.uploads;

  async function route(
    event: FunctionUrlEvent,
    method: string,
  ): Promise<{ result: FunctionUrlResult; key: string; principal: Principal }> {
    const operation = operationOf(method, event.rawQueryString ?? "");
    const key = keyFromRawPath(event.rawPath);
    const headers = event.headers ?? {};
    const iamCaller = event.requestContext.authorizer?.iam?.userArn;
    const principal = await authorizer.authorize(
      { headers, ...(iamCaller ? { iamCaller } : {}) },
      actionOf(operation),
      key,
    );
    const now = clock();
    const outcome = await perform(operation, key, headers, event, now);
    const result =
      "url" in outcome ? respond(outcome, headers.accept) : jsonResponse(outcome.status, outcome.body);
    return { result, key, principal };
  }

  function perform(
    operation: Operation,
    key: string,
    headers: Headers,
    event: FunctionUrlEvent,
    now: Date,
  ): Promise<TransferInstruction | JsonResult> {
    switch (operation.kind) {
      case "read":
        return readInstruction(operation.method, key, now);
      case "put": {
        const upload = describeUpload(headers, limits, bodyLength(event));
        checkSinglePut(upload, limits);
        const signed = signedUploadHeaders(upload);
        const ifNoneMatch = createOnly(headers);
        if (ifNoneMatch) signed["if-none-match"] = "*";
        return presign("PUT", key, signed, {}, now);
      }
      case "delete":
        return presign("DELETE", key, {}, {}, now);
      case "create-multipart":
        return createMultipart(key, describeUpload(headers, limits, 0));
      case "sign-part":
        return presign(
          "PUT",
          key,
          {},
          { partNumber: String(operation.partNumber), uploadId: operation.uploadId },
          now,
        );
      case "sign-parts":
        return signParts(key, operation.uploadId, operation.first, operation.last, now);
      case "list-parts":
        return listParts(key, operation.uploadId);
      case "complete-multipart":
        return completeMultipart(key, operation.uploadId, parseCompleteBody(event), createOnly(headers));
      case "abort-multipart":
        return multipart.abort(key, operation.uploadId).then(() => ({ status: 204 }));
    }
  }

  const expiresAtFor = (now: Date) =>
    // Both signatures carry whole seconds (CloudFront's Expires, SigV4's X-Amz-Date), so this is the
    // instant the URL really stops working.
    Math.floor(now.getTime() / 1000) + config.expirySeconds;

  async function readInstruction(method: string, key: string, now: Date): Promise<TransferInstruction> {
    const expiresEpoch = expiresAtFor(now);
    const resource = `${config.cdnBaseUrl}/${encodeKeyPath(key)}`;
    const url = signCloudFrontUrl(resource, await deps.signingKey(), expiresEpoch, config.hashAlgorithm);
    return { method, url, headers: {}, expiresAt: new Date(expiresEpoch * 1000).toISOString() };
  }

  async function presign(
    method: "PUT" | "DELETE",
    key: string,
    signedHeaders: Record<string, string>,
    query: Record<string, string>,
    now: Date,
  ): Promise<TransferInstruction> {
    const url = await presigner.presign({
      method,
      key,
      signedHeaders,
      query,
      expiresInSeconds: config.expirySeconds,
      now,
    });
    const clientHeaders = Object.fromEntries(
      Object.entries(signedHeaders).map(([name, value]) => [canonicalHeaderName(name), value]),
    );
    return {
      method,
      url,
      headers: clientHeaders,
      expiresAt: new Date(expiresAtFor(now) * 1000).toISOString(),
    };
  }

  async function createMultipart(key: string, upload: UploadDescription): Promise<JsonResult> {
    const uploadId = await multipart.create(key, upload);
    return {
      status: 200,
      body: { uploadId, key, partSize: partSizeFor(upload.length, limits), maxParts: S3_LIMITS.maxParts },
    };
  }

  async function signParts(
    key: string,
    uploadId: string,
    first: number,
    last: number,
    now: Date,
  ): Promise<JsonResult> {
    const parts = [];
    for (let partNumber = first; partNumber <= last; partNumber++) {
      const { url, headers } = await presign(
        "PUT",
        key,
        {},
        { partNumber: String(partNumber), uploadId },
        now,
      );
      parts.push({ partNumber, url, headers });
    }
    return {
      status: 200,
      body: { uploadId, key, parts, expiresAt: new Date(expiresAtFor(now) * 1000).toISOString() },
    };
  }

  async function listParts(key: string, uploadId: string): Promise<JsonResult> {
    const parts = await multipart.listParts(key, uploadId);
    return { status: 200, body: { uploadId, key, parts } };
  }

  async function completeMultipart(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    createOnlyUpload: boolean,
  ): Promise<JsonResult> {
    // S3 cannot cap a multipart upload's total size in advance, so the sum is checked here, before
    // the object exists; an oversized upload is aborted so its parts stop costing storage.
    const uploaded = new Map((await multipart.listParts(key, uploadId)).map((p) => [p.partNumber, p]));
    const size = parts.reduce((sum, p) => sum + (uploaded.get(p.partNumber)?.size ?? 0), 0);
    if (size > limits.maxUploadBytes) {
      await multipart.abort(key, uploadId);
      throw new PayloadTooLarge(
        `the upload is ${size} bytes; this store accepts at most ${limits.maxUploadBytes} bytes, so it was aborted`,
      );
    }
    const { etag } = await multipart.complete(key, uploadId, parts, createOnlyUpload);
    return { status: 200, body: { key, etag, size } };
  }

  return async (event) => {
    const started = Date.now();
    const method = event.requestContext.http.method.toUpperCase();
    const requestId = event.requestContext.requestId;
    let result: FunctionUrlResult;
    let key: string | undefined;
    let principal: Principal | undefined;
    try {
      ({ result, key, principal } = await route(event, method));
    } catch (error) {
      result = errorResponse(error, log, requestId);
    }
    log.log("info", "request", {
      requestId,
      method,
      ...(key === undefined ? {} : { key }),
      ...(event.rawQueryString
        ? { query: event.rawQueryString.replace(/uploadId=[^&]*/, "uploadId=…") }
        : {}),
      ...(principal === undefined ? {} : { principal: `${principal.kind}:${principal.id}` }),
      status: result.statusCode,
      sourceIp: event.requestContext.http.sourceIp,
      durationMs: Date.now() - started,
    });
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

/** `{ "parts": [{ "partNumber": 1, "etag": "\"…\"" }, …] }`, ascending, as S3 requires. */
export function parseCompleteBody(event: FunctionUrlEvent): CompletedPart[] {
  const text = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, "base64").toString("utf8")
      : event.body
    : "";
  const invalid = (why: string) =>
    new BadRequest(
      "InvalidCompleteBody",
      `the body must be JSON { "parts": [{ "partNumber": N, "etag": "..." }] } in ascending order: ${why}`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid("it is not JSON");
  }
  const parts = (body as { parts?: unknown } | null)?.parts;
  if (!Array.isArray(parts) || parts.length === 0) throw invalid("parts is missing or empty");
  if (parts.length > S3_LIMITS.maxParts) throw invalid(`more than ${S3_LIMITS.maxParts} parts`);
  let previous = 0;
  return parts.map((p: unknown, i) => {
    const { partNumber, etag } = (p ?? {}) as { partNumber?: unknown; etag?: unknown };
    if (
      typeof partNumber !== "number" ||
      !Number.isInteger(partNumber) ||
      partNumber < 1 ||
      partNumber > S3_LIMITS.maxParts
    ) {
      throw invalid(`parts[${i}].partNumber must be 1 to ${S3_LIMITS.maxParts}`);
    }
    if (partNumber <= previous) throw invalid(`parts[${i}].partNumber is not above the one before`);
    if (typeof etag !== "string" || etag === "" || etag.length > 100 || hasControlCharacter(etag)) {
      throw invalid(`parts[${i}].etag must be the ETag S3 returned for the part`);
    }
    previous = partNumber;
    return { partNumber, etag };
  });
}

export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return type === "application/json" && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function jsonResponse(statusCode: number, body: unknown): FunctionUrlResult {
  return {
    statusCode,
    headers:
      body === undefined
        ? { "cache-control": "no-store" }
        : { "content-type": "application/json", "cache-control": "no-store" },
    body: body === undefined ? "" : JSON.stringify(body),
  };
}

function respond(instruction: TransferInstruction, accept: string | undefined): FunctionUrlResult {
  if (wantsJson(accept)) return jsonResponse(200, instruction);
  return {
    statusCode: 307,
    headers: { location: instruction.url, "cache-control": "no-store" },
    body: "",
  };
}

/** The one place errors become responses: 4xx say what is wrong, 5xx say nothing and log it all. */
export function errorResponse(error: unknown, log: Logger, requestId: string): FunctionUrlResult {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    return {
      statusCode: error.status,
      headers: { "content-type": "application/json", "cache-control": "no-store", ...error.headers },
      body: JSON.stringify(body),
    };
  }
  log.log("error", "request failed", { requestId, ...errorDetail(error) });
  return {
    statusCode: 500,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(INTERNAL_ERROR),
  };
}

function canonicalHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
