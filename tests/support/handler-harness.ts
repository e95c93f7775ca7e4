import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_UPLOAD_LIMITS } from "../../functions/api/upload-rules";
import type { HandlerConfig } from "../../functions/config";
import { createHandler, type FunctionUrlHandler, type HandlerDeps } from "../../functions/handler";
import { jsonLogger } from "../../functions/telemetry/log";
import { verifyAuthorizationHeader } from "../../local/sigv4";
import { ecdsaKey, type TestKeyPair } from "./keys";
import { everyKeyExists } from "./objects";

export const NOW = new Date("2026-11-22T10:00:00.250Z");
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "session/token+=",
};
export const BUCKET = "files-bucket-1234";
export const REGION = "eu-west-1";

export function baseConfig(overrides: Partial<HandlerConfig> = {}): HandlerConfig {
  return {
    s3: { bucket: BUCKET, region: REGION },
    cdnBaseUrl: "https://d111111abcdef8.cloudfront.net",
    keyPairId: "K2JCJMDEHXQW5F",
    hashAlgorithm: "SHA256",
    expirySeconds: 300,
    maxReadExpirySeconds: 86_400,
    maxWriteExpirySeconds: 3_600,
    auth: { mode: "public" },
    publicReadPrefixes: [],
    uploads: DEFAULT_UPLOAD_LIMITS,
    cdn: { distributionId: "E2QWRUHAPOMQZL" },
    ...overrides,
  };
}

export interface Harness {
  readonly handle: FunctionUrlHandler;
  readonly lines: Array<Record<string, unknown>>;
}

export function harness(
  config: HandlerConfig,
  key: TestKeyPair = ecdsaKey,
  extra: Partial<HandlerDeps> = {},
): Harness {
  const lines: Array<Record<string, unknown>> = [];
  // The lines as the function writes them, parsed back: what CloudWatch and its metric filters read.
  const log = jsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const handle = createHandler({
    config,
    signingKey: async () => ({ keyPairId: config.keyPairId, privateKey: key.privateKey }),
    credentials: async () => CREDENTIALS,
    clock: () => NOW,
    log,
    objects: everyKeyExists,
    ...extra,
  });
  return { handle, lines };
}

/** One request the fake CloudFront API took, with its SigV4 verdict (service cloudfront, us-east-1). */
export interface InvalidationRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly verified: boolean;
}

export interface FakeCloudFront {
  /** The API endpoint, for `config.cdn.apiEndpoint`. */
  readonly url: string;
  readonly requests: InvalidationRequest[];
  /** How the next requests are answered: 201 with the Invalidation (default), another status, or never. */
  answerWith(answer: "created" | "never" | { status: number; code: string }): void;
  close(): Promise<void>;
}

/**
 * CloudFront's CreateInvalidation on 127.0.0.1: verifies each request's SigV4 signature with the
 * given credentials, as CloudFront would, records it and answers as CloudFront does (Amazon
 * CloudFront API Reference, "CreateInvalidation": 201, Location, an `Invalidation` document).
 */
export async function startFakeCloudFront(
  credentials: { accessKeyId: string; secretAccessKey: string },
  clock: () => Date,
): Promise<FakeCloudFront> {
  const requests: InvalidationRequest[] = [];
  let answer: Parameters<FakeCloudFront["answerWith"]>[0] = "created";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? "";
      const q = url.indexOf("?");
      const verdict = verifyAuthorizationHeader(
        {
          method: req.method ?? "",
          rawPath: q === -1 ? url : url.slice(0, q),
          rawQuery: q === -1 ? "" : url.slice(q + 1),
          headers: req.headers,
        },
        (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined),
        clock(),
        body,
        { region: "us-east-1", service: "cloudfront" },
      );
      requests.push({
        method: req.method ?? "",
        path: url,
        headers: req.headers,
        body: body.toString(),
        verified: verdict.ok,
      });
      if (answer === "never") return;
      if (answer !== "created") {
        res
          .writeHead(answer.status, { "content-type": "text/xml" })
          .end(
            `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${answer.code}</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
          );
        return;
      }
      const id = `I${String(requests.length).padStart(13, "0")}`;
      const batch = /<InvalidationBatch[^>]*>([\s\S]*)<\/InvalidationBatch>/.exec(body.toString())?.[1] ?? "";
      res
        .writeHead(201, {
          "content-type": "text/xml",
          location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/E2QWRUHAPOMQZL/invalidation/${id}`,
        })
        .end(
          `<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${id}</Id><Status>InProgress</Status><CreateTime>2026-11-22T10:00:00.000Z</CreateTime><InvalidationBatch>${batch}</InvalidationBatch></Invalidation>`,
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answerWith: (next) => {
      answer = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
