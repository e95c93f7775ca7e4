import type { FunctionUrlEvent } from "../../functions/http/function-url";

export interface EventOptions {
  readonly headers?: Record<string, string>;
  readonly rawQueryString?: string;
  readonly iamUserArn?: string;
  readonly body?: string;
}

/** A payload-format-2.0 event shaped as a function URL delivers it. */
export function functionUrlEvent(
  method: string,
  rawPath: string,
  options: EventOptions = {},
): FunctionUrlEvent {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: options.rawQueryString ?? "",
    headers: { host: "abc123.lambda-url.eu-west-1.on.aws", ...options.headers },
    isBase64Encoded: false,
    ...(options.body === undefined ? {} : { body: options.body }),
    requestContext: {
      requestId: "req-1",
      time: "22/Nov/2026:10:00:00 +0000",
      timeEpoch: 1795341600000,
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "test" },
      ...(options.iamUserArn ? { authorizer: { iam: { userArn: options.iamUserArn } } } : {}),
    },
  };
}
