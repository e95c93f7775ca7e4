import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An S3 origin for edge tests: serves versioned objects by `versionId`, honours
 * `response-content-disposition` and single byte ranges, and records every request the edge sends,
 * so a test can see exactly which query parameters reached the origin.
 */
export interface FakeObjectVersion {
  readonly versionId: string;
  readonly body: Buffer;
  readonly cacheControl?: string;
  /** Sends the first `half` bytes of a whole-object GET, then waits for this before the rest. */
  readonly hold?: { readonly half: number; readonly until: Promise<void> };
  /** Sends this many bytes of a whole-object GET, then breaks the connection off. */
  readonly breakAfter?: number;
}

export interface OriginRequest {
  readonly method: string;
  readonly path: string;
  /** Query parameter names and values, decoded, in order. */
  readonly query: readonly [string, string][];
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface FakeOrigin {
  readonly url: string;
  readonly requests: OriginRequest[];
  /** Adds a version of `key` (under the bucket path `/bucket/key`), which becomes the current one. */
  put(key: string, version: FakeObjectVersion): void;
  close(): Promise<void>;
}

const etagOf = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;
const LAST_MODIFIED = "Mon, 23 Nov 2026 12:00:00 GMT";

export async function startFakeOrigin(bucket: string): Promise<FakeOrigin> {
  const versions = new Map<string, FakeObjectVersion[]>();
  const requests: OriginRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://origin");
    const query = [...url.searchParams.entries()];
    requests.push({ method: req.method ?? "", path: url.pathname, query, headers: req.headers });
    const key = decodeURIComponent(url.pathname.slice(`/${bucket}/`.length));
    const wanted = url.searchParams.get("versionId");
    const all = versions.get(key) ?? [];
    const version = wanted === null ? all.at(-1) : all.find((v) => v.versionId === wanted);
    if (!version) {
      res.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code></Error>");
      return;
    }
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      etag: etagOf(version.body),
      "last-modified": LAST_MODIFIED,
      "accept-ranges": "bytes",
      "x-amz-version-id": version.versionId,
      "x-amz-meta-sha256": createHash("sha256").update(version.body).digest("hex"),
      "x-amz-request-id": "FAKE",
    };
    const disposition = url.searchParams.get("response-content-disposition");
    if (disposition !== null) headers["content-disposition"] = disposition;
    if (version.cacheControl) headers["cache-control"] = version.cacheControl;
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ""));
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), version.body.length - 1);
      res.writeHead(206, {
        ...headers,
        "content-length": end - start + 1,
        "content-range": `bytes ${start}-${end}/${version.body.length}`,
      });
      res.end(version.body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, "content-length": version.body.length });
    if (version.breakAfter !== undefined) {
      res.write(version.body.subarray(0, version.breakAfter), () => res.destroy());
      return;
    }
    if (version.hold) {
      res.write(version.body.subarray(0, version.hold.half));
      void version.hold.until.then(() => res.end(version.body.subarray(version.hold?.half)));
      return;
    }
    res.end(version.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    put(key, version) {
      versions.set(key, [...(versions.get(key) ?? []), version]);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export { etagOf as fakeEtag, LAST_MODIFIED as FAKE_LAST_MODIFIED };
