import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { FunctionUrlHandler } from "../../functions/handler";
import type { FunctionUrlEvent } from "../../functions/http/function-url";
import { applyCors, type CorsRule } from "../http/cors";
import { closeServer, listen } from "../http/listen";
import { verifyAuthorizationHeader } from "../sigv4";

/**
 * Lambda's synchronous invocation payload limit ("Lambda quotas": invocation payload, 6 MB each for
 * request and response), which a function URL applies to the event it builds from the request, not
 * to the body: a binary body travels base64-encoded in it, so about 4.5 MB of file fit, with the
 * headers and request context beside it. Lambda's message says the payload must be smaller than
 * this many bytes.
 */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const TOO_LARGE = JSON.stringify({
  Message: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
});

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript))/i;

/** The fewest bytes a body of `size` bytes takes in the event: base64 for binary, itself for text. */
export function encodedBodyBytes(size: number, text: boolean): number {
  return text ? size : 4 * Math.ceil(size / 3);
}

/** The invocation payload: the event as JSON, as Lambda receives it. */
export function payloadBytes(event: FunctionUrlEvent): number {
  return Buffer.byteLength(JSON.stringify(event));
}

function clfTime(date: Date): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Builds the payload-format-2.0 event a function URL would send for this request. */
export function toFunctionUrlEvent(req: IncomingMessage, body: Buffer, now: Date): FunctionUrlEvent {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQueryString = q === -1 ? "" : rawUrl.slice(q + 1);
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    const value = req.rawHeaders[i + 1] ?? "";
    if (name === "cookie") continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  // A function URL sits behind AWS's own front end, which tells the function how it was reached.
  const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1";
  headers["x-forwarded-proto"] = "http";
  headers["x-forwarded-port"] = String(req.socket.localPort ?? "");
  headers["x-forwarded-for"] = sourceIp;
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[name] =
      queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  }
  const host = req.headers.host ?? "127.0.0.1";
  const isText = TEXT_TYPES.test(req.headers["content-type"] ?? "");
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    ...(cookies?.length ? { cookies } : {}),
    ...(body.length ? { body: isText ? body.toString("utf8") : body.toString("base64") } : {}),
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: "anonymous",
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(".")[0] ?? host,
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: clfTime(now),
      timeEpoch: now.getTime(),
      http: {
        method: req.method ?? "GET",
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: req.headers["user-agent"] ?? "",
      },
    },
  };
}

/** A caller the local AWS_IAM function URL knows, as IAM would. */
export interface IamCaller {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly userArn: string;
}

export interface FunctionUrlServerOptions {
  readonly handler: FunctionUrlHandler;
  /** Auth type AWS_IAM: only requests SigV4-signed (service `lambda`) by these callers reach the handler. */
  readonly iamCallers?: readonly IamCaller[];
  /** The function's region, which an AWS_IAM caller's credential scope must name; default us-east-1. */
  readonly region?: string;
  readonly port?: number;
  readonly host?: string;
  readonly cors?: CorsRule;
  readonly log?: (fields: Record<string, unknown>) => void;
}

export interface RunningFunctionUrl {
  readonly url: string;
  close(): Promise<void>;
}

function refuseTooLarge(res: ServerResponse): void {
  res.writeHead(413, { "content-type": "application/json", connection: "close" }).end(TOO_LARGE);
}

/**
 * The caller whose SigV4 signature verifies over the request the event describes, scoped to service
 * `lambda` in the function's region, with the body's own SHA-256 as the payload hash (Lambda does
 * not accept UNSIGNED-PAYLOAD), or the message a function URL answers with 403.
 */
function iamCaller(
  callers: readonly IamCaller[],
  region: string,
  event: FunctionUrlEvent,
  req: IncomingMessage,
  body: Buffer,
): IamCaller | { readonly refused: string } {
  const verdict = verifyAuthorizationHeader(
    {
      method: event.requestContext.http.method,
      rawPath: event.rawPath,
      rawQuery: event.rawQueryString,
      headers: req.headers,
    },
    (id) => callers.find((c) => c.accessKeyId === id)?.secretAccessKey,
    new Date(),
    body,
    { service: "lambda", region },
  );
  const caller = verdict.ok ? callers.find((c) => c.accessKeyId === verdict.accessKeyId) : undefined;
  if (caller) return caller;
  // Only a wrongly scoped credential gets its own message; everything else is a bare Forbidden.
  return {
    refused: !verdict.ok && verdict.code === "InvalidCredentialScope" ? verdict.message : "Forbidden",
  };
}

/** Serves the handler the way a Lambda function URL does. */
export async function startFunctionUrl(options: FunctionUrlServerOptions): Promise<RunningFunctionUrl> {
  const server = createServer((req, res) => {
    if (options.cors && applyCors(options.cors, req, res)) return;
    const text = TEXT_TYPES.test(req.headers["content-type"] ?? "");
    // A body whose encoding alone reaches the limit is refused before it is read.
    const declared = Number(req.headers["content-length"] ?? "0");
    if (encodedBodyBytes(declared, text) >= MAX_PAYLOAD_BYTES) {
      refuseTooLarge(res);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (encodedBodyBytes(size, text) >= MAX_PAYLOAD_BYTES && !refused) {
        refused = true;
        refuseTooLarge(res);
      }
      if (!refused) chunks.push(chunk);
    });
    req.on("end", () => {
      if (refused) return;
      const body = Buffer.concat(chunks);
      let event = toFunctionUrlEvent(req, body, new Date());
      if (options.iamCallers) {
        const caller = iamCaller(options.iamCallers, options.region ?? "us-east-1", event, req, body);
        if ("refused" in caller) {
          // What a function URL with auth type AWS_IAM answers an unsigned or badly signed request.
          res
            .writeHead(403, { "content-type": "application/json" })
            .end(JSON.stringify({ Message: caller.refused }));
          return;
        }
        event = {
          ...event,
          requestContext: {
            ...event.requestContext,
            authorizer: {
              iam: {
                accessKey: caller.accessKeyId,
                accountId: caller.userArn.split(":")[4] ?? "",
                callerId: caller.accessKeyId,
                userArn: caller.userArn,
                userId: caller.accessKeyId,
              },
            },
          },
        };
      }
      if (payloadBytes(event) >= MAX_PAYLOAD_BYTES) {
        refuseTooLarge(res);
        return;
      }
      options
        .handler(event)
        .then((result) => {
          const body = result.body
            ? Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8")
            : Buffer.alloc(0);
          res.writeHead(result.statusCode, { ...result.headers, "content-length": body.length });
          res.end(req.method === "HEAD" ? undefined : body);
        })
        .catch((error: unknown) => {
          // What a function URL answers when the function itself fails.
          options.log?.({
            component: "function-url",
            level: "error",
            message: "function error",
            error: String(error),
          });
          res
            .writeHead(502, { "content-type": "application/json" })
            .end(JSON.stringify({ Message: "Internal Server Error" }));
        });
    });
  });
  const url = await listen(server, options.port, options.host);
  return { url, close: () => closeServer(server) };
}
