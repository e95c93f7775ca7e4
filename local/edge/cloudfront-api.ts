import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { closeServer, type LogSink, listen, loggingServer } from "../http/listen";
import { escapeXml } from "../http/xml";
import { type SigV4Verdict, verifyAuthorizationHeader } from "../sigv4";
import type { StorageCredentials } from "../storage/server";
import {
  CloudFrontApiError as ApiError,
  type Invalidation,
  type InvalidationBatch,
  invalidationXml,
  parseInvalidationBatch,
} from "./invalidation-xml";

/**
 * The part of CloudFront's API the store calls, for the local distribution only: CreateInvalidation
 * and GetInvalidation (CloudFront API Reference), SigV4-signed for service `cloudfront` in
 * us-east-1, as CloudFront's global endpoint requires, with the keys the function signs with. An
 * invalidation drops the edge's matching entries before the answer, so it is Completed as soon as
 * it exists; CreateInvalidation still answers InProgress, as CloudFront always does.
 */
export interface CloudFrontApiOptions {
  /** The one distribution this API knows; any other ID is NoSuchDistribution. */
  readonly distributionId: string;
  /** Keys allowed to call it (the function role's, whose policy grants cloudfront:CreateInvalidation). */
  readonly callers: readonly StorageCredentials[];
  readonly port?: number;
  readonly host?: string;
  readonly clock?: () => Date;
  readonly log?: LogSink;
}

export interface RunningCloudFrontApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Drops what the paths name from the edge's cache; answers how many entries went. */
export type Invalidate = (paths: readonly string[]) => number;

const API_VERSION = "2020-05-31";
/** CloudFront's own limit is 3,000 paths of up to 4,000 characters; a body past this is refused. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const noSuchDistribution = () =>
  new ApiError(404, "NoSuchDistribution", "The specified distribution does not exist.");

/**
 * A refused signature, as AWS answers it ("Common Errors" in the CloudFront API Reference for
 * MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId and RequestExpired).
 */
function signatureError(verdict: Extract<SigV4Verdict, { ok: false }>, signed: boolean): ApiError {
  if (!signed) return new ApiError(403, "MissingAuthenticationToken", "Missing Authentication Token");
  switch (verdict.code) {
    case "InvalidAccessKeyId":
      return new ApiError(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
      );
    case "AuthorizationQueryParametersError":
      return new ApiError(400, "IncompleteSignature", verdict.message);
    case "AccessDenied":
      return new ApiError(400, "RequestExpired", verdict.message);
    case "InvalidCredentialScope":
      return new ApiError(403, "SignatureDoesNotMatch", verdict.message.trim());
    default:
      return new ApiError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      );
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, "BatchTooLarge", "Invalidation batch specified is too large.");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendApiError(res: ServerResponse, error: ApiError): void {
  const requestId = randomUUID();
  const body = `<?xml version="1.0"?>\n<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/${API_VERSION}/"><Error><Type>Sender</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(error.status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(body),
    "x-amz-request-id": requestId,
  });
  res.end(body);
}

/** `I` and 13 capitals and digits, the shape of CloudFront's invalidation IDs. */
function invalidationId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return `I${[...randomBytes(13)].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

export async function startCloudFrontApi(
  options: CloudFrontApiOptions,
  invalidate: Invalidate,
): Promise<RunningCloudFrontApi> {
  const clock = options.clock ?? (() => new Date());
  const invalidations = new Map<string, Invalidation>();
  const byCallerReference = new Map<string, Invalidation>();

  function create(batch: InvalidationBatch): Invalidation {
    const earlier = byCallerReference.get(batch.callerReference);
    if (earlier) {
      // The same CallerReference again: the same batch answers the earlier invalidation, another
      // batch is refused (CloudFront API Reference, CreateInvalidation, CallerReference).
      if (earlier.batch.paths.join("\n") === batch.paths.join("\n")) return earlier;
      throw new ApiError(
        409,
        "InvalidationBatchAlreadyExists",
        "The specified invalidation batch already exists.",
      );
    }
    const dropped = invalidate(batch.paths);
    const invalidation: Invalidation = { id: invalidationId(), createTime: clock(), batch };
    invalidations.set(invalidation.id, invalidation);
    byCallerReference.set(batch.callerReference, invalidation);
    options.log?.({
      component: "cloudfront",
      level: "info",
      message: "invalidation",
      id: invalidation.id,
      paths: batch.paths,
      dropped,
    });
    return invalidation;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const rawUrl = req.url ?? "/";
      const q = rawUrl.indexOf("?");
      const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
      const body = await readBody(req);
      const verdict = verifyAuthorizationHeader(
        {
          method: req.method ?? "GET",
          rawPath,
          rawQuery: q === -1 ? "" : rawUrl.slice(q + 1),
          headers: req.headers,
        },
        (id) => options.callers.find((c) => c.accessKeyId === id)?.secretAccessKey,
        clock(),
        body,
        { service: "cloudfront", region: "us-east-1" },
      );
      if (!verdict.ok) throw signatureError(verdict, req.headers.authorization !== undefined);
      const route = new RegExp(`^/${API_VERSION}/distribution/([^/]+)/invalidation(?:/([^/]+))?$`).exec(
        rawPath,
      );
      if (!route) throw new ApiError(404, "NotFound", "The requested resource does not exist.");
      if (decodeURIComponent(route[1] ?? "") !== options.distributionId) throw noSuchDistribution();
      const location = (id: string) =>
        `http://${req.headers.host ?? "127.0.0.1"}/${API_VERSION}/distribution/${options.distributionId}/invalidation/${id}`;
      if (req.method === "POST" && route[2] === undefined) {
        const invalidation = create(parseInvalidationBatch(body));
        const xml = invalidationXml(invalidation, "InProgress");
        res.writeHead(201, {
          "content-type": "text/xml",
          "content-length": Buffer.byteLength(xml),
          location: location(invalidation.id),
          "x-amz-request-id": randomUUID(),
        });
        res.end(xml);
        return;
      }
      if (req.method === "GET" && route[2] !== undefined) {
        const invalidation = invalidations.get(decodeURIComponent(route[2]));
        if (!invalidation)
          throw new ApiError(404, "NoSuchInvalidation", "The specified invalidation does not exist.");
        const xml = invalidationXml(invalidation, "Completed");
        res.writeHead(200, {
          "content-type": "text/xml",
          "content-length": Buffer.byteLength(xml),
          "x-amz-request-id": randomUUID(),
        });
        res.end(xml);
        return;
      }
      throw new ApiError(405, "MethodNotAllowed", `${req.method} is not allowed on ${rawPath}.`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendApiError(res, error);
    }
  }

  const server = loggingServer("cloudfront", options.log, handle, (res) =>
    sendApiError(
      res,
      new ApiError(500, "InternalFailure", "We encountered an internal error. Please try again."),
    ),
  );
  const url = await listen(server, options.port, options.host);
  return { url, close: () => closeServer(server) };
}
