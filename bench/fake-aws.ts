import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type PresignedRequest, verifyAuthorizationHeader, verifyPresigned } from "../local/sigv4";

/**
 * The two AWS services the function calls on its first requests, on 127.0.0.1, for the bundle's
 * child-process tests and the cold-start benchmark: SSM GetParameter (AWS JSON 1.1) and the S3 calls
 * a GET (HeadObject, presigned) and a multipart create (CreateMultipartUpload, SDK-signed) make.
 * Every request's SigV4 signature is checked, so a request the real services would refuse fails here.
 */
export interface FakeObject {
  readonly versionId: string;
  readonly etag: string;
  readonly size: number;
  readonly contentType: string;
}

export interface FakeAwsOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  /** Parameter name → value. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Key → the current version. */
  readonly objects: Readonly<Record<string, FakeObject>>;
  readonly clock?: () => Date;
}

export interface FakeRequest {
  readonly service: "ssm" | "s3";
  readonly method: string;
  readonly path: string;
  readonly operation: string;
}

export interface FakeAws {
  readonly url: string;
  /** Every request answered, in order. */
  readonly requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeAws(options: FakeAwsOptions): Promise<FakeAws> {
  const requests: FakeRequest[] = [];
  const secretFor = (id: string) => (id === options.accessKeyId ? options.secretAccessKey : undefined);
  const clock = options.clock ?? (() => new Date());
  let uploads = 0;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const [rawPath = "/", rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s);
    const signed: PresignedRequest = { method: req.method ?? "", rawPath, rawQuery, headers: req.headers };
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
      requests.push({ service: "ssm", method: signed.method, path: rawPath, operation: target });
      const verdict = verifyAuthorizationHeader(signed, secretFor, clock(), body);
      if (!verdict.ok) return json(res, 400, { __type: verdict.code, message: verdict.message });
      const name = (JSON.parse(body.toString("utf8")) as { Name?: string }).Name ?? "";
      const value = options.parameters[name];
      if (target !== "AmazonSSM.GetParameter" || value === undefined) {
        return json(res, 400, { __type: "ParameterNotFound", message: "" });
      }
      return json(res, 200, { Parameter: { Name: name, Type: "SecureString", Value: value, Version: 1 } });
    }
    const query = new URLSearchParams(rawQuery);
    const presigned = query.has("X-Amz-Signature");
    const operation =
      signed.method === "HEAD"
        ? "HeadObject"
        : query.has("uploads")
          ? "CreateMultipartUpload"
          : signed.method;
    requests.push({ service: "s3", method: signed.method, path: rawPath, operation });
    const verdict = presigned
      ? verifyPresigned(signed, secretFor, clock())
      : verifyAuthorizationHeader(signed, secretFor, clock());
    if (!verdict.ok) return xml(res, 403, `<Error><Code>${verdict.code}</Code></Error>`);
    const prefix = `/${options.bucket}/`;
    const key = rawPath.startsWith(prefix) ? decodeURIComponent(rawPath.slice(prefix.length)) : undefined;
    if (key === undefined) return xml(res, 404, "<Error><Code>NoSuchBucket</Code></Error>");
    if (operation === "HeadObject") {
      const object = options.objects[key];
      if (!object) return void res.writeHead(404).end();
      res.writeHead(200, {
        etag: object.etag,
        "content-length": object.size,
        "content-type": object.contentType,
        "x-amz-version-id": object.versionId,
        "last-modified": "Sun, 22 Nov 2026 09:00:00 GMT",
      });
      return void res.end();
    }
    if (operation === "CreateMultipartUpload") {
      uploads += 1;
      return xml(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${options.bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>upload-${uploads}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    return xml(res, 405, "<Error><Code>MethodNotAllowed</Code></Error>");
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
}

function xml(res: ServerResponse, status: number, body: string): void {
  res
    .writeHead(status, { "content-type": "application/xml" })
    .end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
