import type { ServerResponse } from "node:http";
import { CHECKSUM_HEADERS, type ObjectChecksum } from "../../functions/api/checksums";
import { type ContractState, crcOf, md5, s3Error } from "./contract-state";
import { type FakeServer, fakeServer } from "./fake-server";

const CRC = CHECKSUM_HEADERS.CRC64NVME;
const keyOf = (url: URL) => decodeURIComponent(url.pathname.slice(1));

/**
 * The storage side of the contract store, as S3 answers a presigned request: an expired URL is
 * 403 AccessDenied, a checksum header other than the one signed 403 SignatureDoesNotMatch, a body
 * whose CRC64NVME is not the one signed 400 BadDigest (nothing stored), a part of an upload with
 * an algorithm and no checksum 400 InvalidRequest.
 */
export function contractStorage(state: ContractState): Promise<FakeServer> {
  return fakeServer(async (req, res: ServerResponse) => {
    if (state.intercept && (await state.intercept(req, res))) return;
    const url = new URL(req.target, "http://storage");
    const key = keyOf(url);
    if (Number(url.searchParams.get("expires")) < Date.now()) {
      return s3Error(res, 403, "AccessDenied", "Request has expired");
    }
    const sent = req.headers[CRC] as string | undefined;
    if ((url.searchParams.get("crc") ?? undefined) !== sent) {
      return s3Error(res, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match");
    }
    if (req.method === "PUT") {
      const crc = crcOf(req.body);
      if (sent !== undefined && sent !== crc) {
        return s3Error(
          res,
          400,
          "BadDigest",
          "The CRC64NVME you specified did not match the calculated checksum.",
        );
      }
      const uploadId = url.searchParams.get("uploadId");
      if (uploadId) {
        const upload = state.uploads.get(uploadId);
        if (!upload) return s3Error(res, 404, "NoSuchUpload", "The specified upload does not exist.");
        if (upload.algorithm && sent === undefined) {
          return s3Error(res, 400, "InvalidRequest", "Checksum Type mismatch occurred");
        }
        upload.parts.set(Number(url.searchParams.get("partNumber")), { body: req.body, crc });
      } else {
        const versionId = state.nextVersion();
        const contentType = url.searchParams.get("type") ?? undefined;
        const contentDisposition = url.searchParams.get("disposition") ?? undefined;
        const checksum: ObjectChecksum = { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: crc };
        state.objects.set(key, [
          ...(state.objects.get(key) ?? []),
          {
            body: req.body,
            versionId,
            ...(contentType ? { contentType } : {}),
            ...(contentDisposition ? { contentDisposition } : {}),
            checksum,
          },
        ]);
      }
      return void res.writeHead(200, { etag: `"${md5(req.body)}"` }).end();
    }
    if (req.method === "GET") {
      const version = (state.objects.get(key) ?? []).find(
        (v) => v.versionId === url.searchParams.get("versionId"),
      );
      if (!version) return s3Error(res, 404, "NoSuchKey", "The specified key does not exist.");
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
      const start = range ? Number(range[1]) : 0;
      const etag = `"${md5(version.body)}"`;
      res.writeHead(range ? 206 : 200, { "content-length": version.body.length - start, etag });
      return void res.end(version.body.subarray(start));
    }
    if (req.method === "DELETE") {
      const marker = {
        body: Buffer.alloc(0),
        versionId: state.nextVersion(),
        checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "" },
        deleteMarker: true,
      } as const;
      state.objects.set(key, [...(state.objects.get(key) ?? []), marker]);
      return void res.writeHead(204).end();
    }
    res.writeHead(405).end();
  });
}
