import { parseQuery, verifyPresigned } from "../../local/sigv4";
import { functionUrlEvent } from "./events";
import { BUCKET, type baseConfig, CREDENTIALS, harness, NOW, REGION } from "./handler-harness";
import { recordingStore } from "./multipart-store";

/** The host a presigned URL of the harness's bucket is sent to. */
export const S3_HOST = `${BUCKET}.s3.${REGION}.amazonaws.com`;

/** One JSON-mode request to the handler over a recording multipart store: status, parsed body, S3 calls. */
export async function callHandler(
  config: ReturnType<typeof baseConfig>,
  method: string,
  path: string,
  options: { query?: string; headers?: Record<string, string>; body?: string } = {},
  store = recordingStore(),
) {
  const { handle } = harness(config, undefined, { multipart: store.store });
  const result = await handle(
    functionUrlEvent(method, path, {
      rawQueryString: options.query ?? "",
      headers: { accept: "application/json", ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
    }),
  );
  return {
    status: result.statusCode,
    body: result.body ? JSON.parse(result.body) : undefined,
    calls: store.calls,
  };
}

/** Whether a presigned PUT verifies for exactly these headers (host included), as S3 checks it. */
export function putVerifies(urlText: string, headers: Record<string, string>): boolean {
  const url = new URL(urlText);
  return verifyPresigned(
    { method: "PUT", rawPath: url.pathname, rawQuery: url.search.slice(1), headers },
    () => CREDENTIALS.secretAccessKey,
    NOW,
  ).ok;
}

/** The X-Amz-SignedHeaders of a presigned URL. */
export const signedHeadersOf = (urlText: string) =>
  new Map(parseQuery(new URL(urlText).search.slice(1))).get("X-Amz-SignedHeaders");
