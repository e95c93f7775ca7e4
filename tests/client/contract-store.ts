import type { ServerResponse } from "node:http";
import {
  CHECKSUM_HEADERS,
  combineCrc64,
  crc64FromBase64,
  crc64ToBase64,
  isChecksumValue,
  type ObjectChecksum,
} from "../../functions/api/checksums";
import { apiError, type ContractStore, md5, type StoredObject, type Upload } from "./contract-state";
import { contractStorage } from "./contract-storage";
import { fakeServer, type Recorded, sendJson } from "./fake-server";

export { type ContractStore, crcOf } from "./contract-state";

const CRC = CHECKSUM_HEADERS.CRC64NVME;

/**
 * An API and a storage that follow CONTRACTS.md §1 and §2 as the deployed function and S3 do:
 * checksum formats checked at the API, every value signed into the URL it answers (a different
 * header at storage is 403 SignatureDoesNotMatch), bodies checked against their CRC64NVME at storage
 * (400 BadDigest), part checksums and the combined whole-object value checked at completion, reads
 * answering `object.checksum`, purge deleting every version with an invalidation.
 */
export async function contractStore(): Promise<ContractStore> {
  let versions = 0;
  let uploadIds = 0;
  let invalidations = 0;
  const objects = new Map<string, StoredObject[]>();
  const uploads = new Map<string, Upload>();
  const store = {
    objects,
    uploads,
    expiresInMs: 300_000,
    partSize: 5 * 1024 * 1024,
    nextVersion: () => `v${++versions}`,
  } as ContractStore;
  const expiresAt = () => new Date(Date.now() + store.expiresInMs).toISOString();
  const keyOf = (url: URL) => decodeURIComponent(url.pathname.slice(1));
  const signed = (path: string, query: Record<string, string>) =>
    `${storage.url}/${path}?${new URLSearchParams({ ...query, expires: String(Date.now() + store.expiresInMs) })}`;

  const storage = await contractStorage(store);
  const api = await fakeServer((req, res) => {
    const url = new URL(req.target, "http://api");
    const q = url.searchParams;
    const key = keyOf(url);
    const path = url.pathname.slice(1);
    const sent = req.headers[CRC] as string | undefined;
    if (sent !== undefined && !q.has("parts") && !isChecksumValue("CRC64NVME", sent)) {
      return apiError(res, 400, "InvalidChecksum", `${CRC} must be the base64 of 8 bytes`);
    }
    const current = () => {
      const newest = (objects.get(key) ?? []).at(-1);
      return newest?.deleteMarker ? undefined : newest;
    };
    if (req.method === "PUT" && !q.has("uploadId")) {
      const type = req.headers["content-type"] as string | undefined;
      const disposition = req.headers["content-disposition"] as string | undefined;
      const query = {
        ...(sent ? { crc: sent } : {}),
        ...(type ? { type } : {}),
        ...(disposition ? { disposition } : {}),
      };
      return sendJson(res, 200, {
        method: "PUT",
        url: signed(path, query),
        headers: {
          ...(type ? { "content-type": type } : {}),
          ...(disposition ? { "content-disposition": disposition } : {}),
          ...(sent ? { [CRC]: sent } : {}),
        },
        expiresAt: expiresAt(),
      });
    }
    if (req.method === "POST" && q.has("delete") && !q.has("purge")) {
      const { keys } = JSON.parse(req.body.toString()) as { keys: string[] };
      for (const k of keys) {
        const marker = {
          body: Buffer.alloc(0),
          versionId: `v${++versions}`,
          checksum: { algorithm: "CRC64NVME", type: "FULL_OBJECT", value: "" },
          deleteMarker: true,
        } as const;
        objects.set(k, [...(objects.get(k) ?? []), marker]);
      }
      return sendJson(res, 200, { deleted: keys, errors: [] });
    }
    if (req.method === "POST" && q.has("restore")) {
      const { versionId } = JSON.parse(req.body.toString()) as { versionId: string };
      const found = (objects.get(key) ?? []).find((v) => v.versionId === versionId && !v.deleteMarker);
      if (!found) return apiError(res, 404, "NoSuchVersion", `no version ${versionId} of ${key}`);
      const copy = { ...found, versionId: `v${++versions}` };
      objects.set(key, [...(objects.get(key) ?? []), copy]);
      return sendJson(res, 200, {
        key,
        etag: `"${md5(copy.body)}"`,
        size: copy.body.length,
        versionId: copy.versionId,
      });
    }
    if (req.method === "DELETE" && !q.has("uploadId") && !q.has("purge")) {
      return sendJson(res, 200, {
        method: "DELETE",
        url: signed(path, {}),
        headers: {},
        expiresAt: expiresAt(),
      });
    }
    if (req.method === "POST" && q.has("uploads")) {
      const algorithm = req.headers["x-amz-checksum-algorithm"] as string | undefined;
      const uploadId = `U${++uploadIds}`;
      uploads.set(uploadId, { key, ...(algorithm ? { algorithm } : {}), parts: new Map() });
      return sendJson(res, 200, {
        uploadId,
        key,
        partSize: store.partSize,
        maxParts: 10000,
        ...(algorithm ? { checksumAlgorithm: algorithm, checksumType: "FULL_OBJECT" } : {}),
      });
    }
    const uploadId = q.get("uploadId");
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload) return apiError(res, 404, "NoSuchUpload", `no multipart upload ${uploadId}`);
      const range = q.get("parts");
      if (req.method === "GET" && range) {
        const [first, last] = range.split("-").map(Number) as [number, number];
        const values = sent === undefined ? [] : sent.split(",");
        if (upload.algorithm && values.length !== last - first + 1) {
          return apiError(
            res,
            400,
            "InvalidChecksum",
            `${values.length} checksums for ${last - first + 1} parts`,
          );
        }
        if (values.some((v) => !isChecksumValue("CRC64NVME", v))) {
          return apiError(res, 400, "InvalidChecksum", `${CRC} holds a malformed value`);
        }
        const parts = values.map((crc, i) => ({
          partNumber: first + i,
          url: signed(path, { uploadId, partNumber: String(first + i), crc }),
          headers: { [CRC]: crc },
        }));
        return sendJson(res, 200, { parts, expiresAt: expiresAt() });
      }
      if (req.method === "GET") {
        const parts = [...upload.parts].map(([partNumber, p]) => ({
          partNumber,
          etag: `"${md5(p.body)}"`,
          size: p.body.length,
        }));
        return sendJson(res, 200, { parts });
      }
      if (req.method === "DELETE") {
        uploads.delete(uploadId);
        return void res.writeHead(204).end();
      }
      const { parts } = JSON.parse(req.body.toString()) as {
        parts: Array<{ partNumber: number; etag: string; checksum?: string }>;
      };
      for (const part of parts) {
        const stored = upload.parts.get(part.partNumber);
        if (
          !stored ||
          `"${md5(stored.body)}"` !== part.etag ||
          (part.checksum && part.checksum !== stored.crc)
        ) {
          return apiError(res, 400, "InvalidPart", `part ${part.partNumber} is not the part stored`);
        }
      }
      const body = Buffer.concat(parts.map((p) => upload.parts.get(p.partNumber)?.body ?? Buffer.alloc(0)));
      let whole = 0n;
      parts.forEach((p, i) => {
        const stored = upload.parts.get(p.partNumber);
        const crc = crc64FromBase64(stored?.crc ?? "");
        whole = i === 0 ? crc : combineCrc64(whole, crc, stored?.body.length ?? 0);
      });
      if (sent !== undefined && sent !== crc64ToBase64(whole)) {
        return apiError(
          res,
          400,
          "BadDigest",
          "The crc64nvme you specified did not match the calculated checksum.",
        );
      }
      const versionId = `v${++versions}`;
      const checksum: ObjectChecksum = {
        algorithm: "CRC64NVME",
        type: "FULL_OBJECT",
        value: crc64ToBase64(whole),
      };
      objects.set(key, [...(objects.get(key) ?? []), { body, versionId, checksum }]);
      uploads.delete(uploadId);
      return sendJson(res, 200, { key, etag: `"x-${parts.length}"`, size: body.length, versionId, checksum });
    }
    if (q.has("purge")) return purge(req, res, key);
    const object = q.has("versionId")
      ? (objects.get(key) ?? []).find((v) => v.versionId === q.get("versionId") && !v.deleteMarker)
      : current();
    if (req.method === "GET" && object) {
      return sendJson(res, 200, {
        method: "GET",
        url: signed(path, { versionId: object.versionId }),
        headers: {},
        expiresAt: expiresAt(),
        object: {
          key,
          size: object.body.length,
          etag: `"${md5(object.body)}"`,
          versionId: object.versionId,
          ...(object.contentType ? { contentType: object.contentType } : {}),
          ...(object.contentDisposition ? { contentDisposition: object.contentDisposition } : {}),
          checksum: object.checksum,
        },
      });
    }
    apiError(res, 404, "NoSuchKey", `no object at ${key}`);
  });

  const invalidation = (keys: readonly string[]) => ({
    id: `I${++invalidations}`,
    status: "InProgress",
    paths: keys.map((k) => `/${k.split("/").map(encodeURIComponent).join("/")}*`),
  });
  /**
   * As the function decided (CONTRACTS.md §2): a key with nothing stored is purged too, with 0
   * versions deleted and its path still invalidated, so a purge retried after a failed invalidation
   * reaches the CDN; only keys the API refuses are errors.
   */
  function purge(req: Recorded, res: ServerResponse, key: string) {
    const purgeOne = (k: string) => {
      const gone = objects.get(k)?.length ?? 0;
      objects.delete(k);
      return { key: k, deletedVersions: gone };
    };
    if (req.method === "DELETE")
      return sendJson(res, 200, { ...purgeOne(key), invalidation: invalidation([key]) });
    const { keys } = JSON.parse(req.body.toString()) as { keys: string[] };
    const refused = keys.filter((k) => k.split("/").includes(".."));
    const purged = keys.filter((k) => !refused.includes(k)).map(purgeOne);
    const errors = refused.map((k) => ({ key: k, code: "InvalidKey", message: `${k} is not a key` }));
    sendJson(res, 200, {
      purged,
      errors,
      invalidation: purged.length ? invalidation(purged.map((p) => p.key)) : null,
    });
  }

  return Object.assign(store, {
    api,
    storage,
    close: async () => {
      await api.close();
      await storage.close();
    },
  });
}
