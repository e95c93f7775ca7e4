import type { JWTVerifyGetKey } from "jose";
import type { Action } from "./access-rules";
import { type Authorizer, createAuthorizer, type Principal } from "./auth";
import { type CloudFrontSigningKey, signCloudFrontUrl } from "./cloudfront-signer";
import type { HandlerConfig } from "./config";
import type { FunctionUrlEvent, FunctionUrlResult } from "./function-url";
import { BadRequest, type ErrorBody, HttpError, INTERNAL_ERROR, MethodNotAllowed } from "./http-error";
import { errorDetail, jsonLogger, type Logger } from "./log";
import { encodeKeyPath, keyFromRawPath } from "./object-key";
import { type CredentialsProvider, S3Presigner } from "./s3-presigner";

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
}

/** What a client must send to carry out the transfer itself (the JSON mode). */
export interface TransferInstruction {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export const ALLOWED_METHODS = ["GET", "HEAD", "PUT", "DELETE"] as const;
const ACTIONS: Readonly<Record<string, Action>> = {
  GET: "read",
  HEAD: "read",
  PUT: "write",
  DELETE: "delete",
};

export function createHandler(deps: HandlerDeps): FunctionUrlHandler {
  const { config } = deps;
  const clock = deps.clock ?? (() => new Date());
  const log = deps.log ?? jsonLogger();
  const authorizer: Authorizer = createAuthorizer(config.auth, config.publicReadPrefixes, clock, deps.jwks);
  const presigner = new S3Presigner(config.s3, deps.credentials);

  async function route(
    event: FunctionUrlEvent,
    method: string,
  ): Promise<{ result: FunctionUrlResult; key: string; principal: Principal }> {
    const action = ACTIONS[method];
    if (action === undefined) throw new MethodNotAllowed(method, ALLOWED_METHODS);
    const key = keyFromRawPath(event.rawPath);
    const headers = event.headers ?? {};
    const iamCaller = event.requestContext.authorizer?.iam?.userArn;
    const principal = await authorizer.authorize(
      { headers, ...(iamCaller ? { iamCaller } : {}) },
      action,
      key,
    );

    const now = clock();
    // Both signatures carry whole seconds (CloudFront's Expires, SigV4's X-Amz-Date), so this is the
    // instant the URL really stops working.
    const expiresEpoch = Math.floor(now.getTime() / 1000) + config.expirySeconds;
    const instruction =
      action === "read"
        ? await readInstruction(method, key, expiresEpoch)
        : await writeInstruction(method === "PUT" ? "PUT" : "DELETE", key, headers, now, expiresEpoch);
    return { result: respond(instruction, headers.accept), key, principal };
  }

  async function readInstruction(
    method: string,
    key: string,
    expiresEpoch: number,
  ): Promise<TransferInstruction> {
    const resource = `${config.cdnBaseUrl}/${encodeKeyPath(key)}`;
    const url = signCloudFrontUrl(resource, await deps.signingKey(), expiresEpoch, config.hashAlgorithm);
    return { method, url, headers: {}, expiresAt: new Date(expiresEpoch * 1000).toISOString() };
  }

  async function writeInstruction(
    method: "PUT" | "DELETE",
    key: string,
    headers: Readonly<Record<string, string | undefined>>,
    now: Date,
    expiresEpoch: number,
  ): Promise<TransferInstruction> {
    const signedHeaders: Record<string, string> = {};
    if (method === "PUT") {
      const contentType = headers["content-type"];
      if (contentType) signedHeaders["content-type"] = contentType;
      const ifNoneMatch = headers["if-none-match"];
      if (ifNoneMatch !== undefined) {
        if (ifNoneMatch.trim() !== "*") {
          throw new BadRequest(
            "InvalidIfNoneMatch",
            'S3 supports only "If-None-Match: *" (create-only) on uploads',
          );
        }
        signedHeaders["if-none-match"] = "*";
      }
    }
    const url = await presigner.presign({
      method,
      key,
      signedHeaders,
      expiresInSeconds: config.expirySeconds,
      now,
    });
    const clientHeaders = Object.fromEntries(
      Object.entries(signedHeaders).map(([name, value]) => [canonicalHeaderName(name), value]),
    );
    return { method, url, headers: clientHeaders, expiresAt: new Date(expiresEpoch * 1000).toISOString() };
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
      ...(principal === undefined ? {} : { principal: `${principal.kind}:${principal.id}` }),
      status: result.statusCode,
      sourceIp: event.requestContext.http.sourceIp,
      durationMs: Date.now() - started,
    });
    return result;
  };
}

export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return type === "application/json" && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function respond(instruction: TransferInstruction, accept: string | undefined): FunctionUrlResult {
  if (wantsJson(accept)) {
    return {
      statusCode: 200,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
      body: JSON.stringify(instruction),
    };
  }
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
