import { ServiceUnavailable } from "../api/http-error";
import { strictEncode } from "../api/object-key";
import { type HttpAnswer, type HttpRequest, httpRequest } from "../http/outbound";
import type { CredentialsProvider } from "./s3-presigner";
import { SigV4Signer } from "./sigv4";

/** Reads one SecureString parameter's decrypted value. */
export type ParameterReader = (name: string) => Promise<string>;

export interface SsmReaderOptions {
  readonly region: string;
  readonly credentials: CredentialsProvider;
  /**
   * `https://ssm.REGION.amazonaws.com` unless given; the SDKs read the same override from
   * AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL ("Service-specific endpoints", AWS SDKs and Tools
   * Reference Guide), and `ssmReaderFromEnvironment` does too.
   */
  readonly endpoint?: string;
  /** Per attempt; SSM answers a GetParameter in tens of milliseconds when it is up. */
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly send?: (url: URL, request: HttpRequest) => Promise<HttpAnswer>;
}

/** A parameter that SSM says is missing or that the role may not read: retrying will not help. */
export class SsmParameterError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SsmParameterError";
  }
}

/** A failure worth another attempt: SSM's 5xx and throttling. */
class Retryable extends Error {}

/**
 * GetParameter as one SigV4-signed JSON POST, instead of through `@aws-sdk/client-ssm`, because
 * the first GET of every execution environment needs this one call and loading the client would be
 * most of that cold start: `npm run bench` measured a fresh process that reads one parameter at about
 * 5x the CPU time of a bare `node` through the client (loaded on use, ES module build) and about 2x
 * this way. The protocol is the AWS JSON 1.1 one the SDK
 * speaks: `X-Amz-Target: AmazonSSM.GetParameter`, `Content-Type: application/x-amz-json-1.1`
 * (AWS Systems Manager API Reference, "GetParameter" and "Making API requests").
 */
export function ssmParameterReader(options: SsmReaderOptions): ParameterReader {
  const endpoint = new URL(options.endpoint ?? `https://ssm.${options.region}.${dnsSuffix(options.region)}`);
  const signer = new SigV4Signer();
  const send = options.send ?? httpRequest;
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxAttempts = options.maxAttempts ?? 3;

  async function attempt(name: string): Promise<string> {
    const body = JSON.stringify({ Name: name, WithDecryption: true });
    const headers = signer.signHeaders(
      {
        method: "POST",
        // Services other than S3 sign each path segment encoded twice ("Create a canonical request",
        // IAM User Guide); the URL's pathname is encoded once already. SSM's own path is "/".
        path: endpoint.pathname
          .split("/")
          .map((segment) => strictEncode(segment))
          .join("/"),
        headers: {
          host: endpoint.host,
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "AmazonSSM.GetParameter",
        },
      },
      body,
      { region: options.region, service: "ssm", credentials: await options.credentials(), now: new Date() },
    );
    const response = await send(endpoint, { method: "POST", headers, body, timeoutMs });
    const text = response.body;
    if (response.status === 200) {
      const value = (JSON.parse(text) as { Parameter?: { Value?: unknown } }).Parameter?.Value;
      if (typeof value !== "string" || value === "") {
        throw new SsmParameterError("EmptyParameter", `SSM parameter ${name} has no value`);
      }
      return value;
    }
    const header = response.headers["x-amzn-errortype"];
    const code = errorCode(text, typeof header === "string" ? header : null);
    if (response.status >= 500 || RETRYABLE_CODES.has(code))
      throw new Retryable(`SSM answered ${response.status} ${code}`);
    throw new SsmParameterError(code, `SSM GetParameter ${name} answered ${response.status} ${code}`);
  }

  return async (name) => {
    let last: unknown;
    for (let i = 0; i < maxAttempts; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** i));
      try {
        return await attempt(name);
      } catch (error) {
        if (error instanceof SsmParameterError) throw error;
        last = error;
      }
    }
    // Unreachable, timed out, throttled or failing: the caller may retry once SSM is back.
    throw new ServiceUnavailable("the signing key store is unavailable; try again later", 5, last);
  };
}

/** Lambda's environment: AWS_REGION, and the execution role's credentials from `credentials`. */
export function ssmReaderFromEnvironment(credentials: CredentialsProvider): ParameterReader {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("AWS_REGION is not set");
  const endpoint = process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL;
  return ssmParameterReader({ region, credentials, ...(endpoint ? { endpoint } : {}) });
}

/** Partitions whose endpoints are not under amazonaws.com ("AWS service endpoints", AWS General Reference). */
function dnsSuffix(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** SSM's throttling and transient codes; everything else in a 4xx is the request's fault. */
const RETRYABLE_CODES = new Set(["ThrottlingException", "InternalServerError", "ServiceUnavailable"]);

/** AWS JSON protocols name the error in `__type` (sometimes `prefix#Code`) or in x-amzn-ErrorType. */
function errorCode(text: string, header: string | null): string {
  let type: unknown;
  try {
    type = (JSON.parse(text) as { __type?: unknown }).__type;
  } catch {
    type = undefined;
  }
  const raw = typeof type === "string" ? type : (header ?? "UnknownError");
  return raw.split("#").pop()?.split(":")[0] ?? raw;
}
