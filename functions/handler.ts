import type { JWTVerifyGetKey } from "jose";
import { keyFromRawPath } from "./api/object-key";
import { type Authorizer, createAuthorizer, type Principal } from "./auth/authorizer";
import type { HandlerConfig } from "./config";
import { cloudFrontInvalidator, type Invalidator } from "./http/cloudfront-invalidation";
import type { FunctionUrlEvent, FunctionUrlResult } from "./http/function-url";
import { redactQuery } from "./http/query-redaction";
import { errorResponse, jsonResponse, respond } from "./http/responses";
import { createFileRoutes } from "./routes/files";
import { cdnBasePath } from "./routes/invalidation-paths";
import { asXmlError, multipartXml, wantsXml } from "./routes/multipart-xml";
import { actionOf, isFileOperation, operationOf } from "./routes/operations";
import { createReads } from "./routes/reads";
import { createTransfers } from "./routes/transfers";
import { type FileStore, s3FileStore } from "./s3/files";
import { type MultipartStore, s3MultipartStore } from "./s3/multipart";
import { type ObjectLookup, s3ObjectLookup } from "./s3/objects";
import type { CloudFrontSigningKey } from "./signers/cloudfront-signer";
import { type CredentialsProvider, S3Presigner } from "./signers/s3-presigner";
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
  /** Replaces CloudFront's CreateInvalidation, which a purge calls. */
  readonly invalidator?: Invalidator;
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
  const objects = deps.objects ?? s3ObjectLookup(presigner, clock);
  const read = createReads({ config, objects, signingKey: deps.signingKey });
  const fileRoute = createFileRoutes({
    authorizer,
    objects,
    files: deps.files ?? s3FileStore(config.s3, deps.credentials, { log }),
    invalidator: deps.invalidator ?? cloudFrontInvalidator(config.cdn, deps.credentials, { clock }),
    cdnBasePath: cdnBasePath(config.cdnBaseUrl),
    log,
  });
  const transfer = createTransfers({
    presigner,
    multipart: deps.multipart ?? s3MultipartStore(config.s3, deps.credentials),
    limits: config.uploads,
    // A write URL is signed with the role's session and dies with it, whatever X-Amz-Expires says
    // (Amazon S3 User Guide, "Sharing objects with presigned URLs"), so writes have their own limit.
    expirySeconds: Math.min(config.expirySeconds, config.maxWriteExpirySeconds),
  });

  async function route(
    event: FunctionUrlEvent,
    method: string,
    trace: Trace,
  ): Promise<{ result: FunctionUrlResult; key: string; principal: Principal }> {
    const headers = event.headers ?? {};
    const operation = operationOf(method, event.rawQueryString ?? "", {
      listing: event.rawPath === "" || event.rawPath.endsWith("/"),
      root: event.rawPath === "" || event.rawPath === "/",
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
    const outcome = await transfer(operation, key, headers, event, now, trace);
    const result =
      "url" in outcome
        ? respond(outcome, headers.accept)
        : (wantsXml(headers.accept) && multipartXml(operation.kind, outcome.status, outcome.body)) ||
          jsonResponse(outcome.status, outcome.body);
    return { result, key, principal };
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
