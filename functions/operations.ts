import type { Action } from "./access-rules";
import { BadRequest, MethodNotAllowed } from "./http-error";
import { hasControlCharacter } from "./object-key";
import { S3_LIMITS } from "./upload-rules";

/**
 * What a request asks for, from its method and S3-style sub-resources, so that S3-literate users
 * recognise the API: `?uploads`, `?uploadId`, `?partNumber`.
 */
export type Operation =
  | {
      readonly kind: "read";
      readonly method: "GET" | "HEAD";
      /** `?versionId=V`: that version rather than the current one. */
      readonly versionId?: string;
      /** `?expires=SECONDS`, checked against the deployment's limit by the handler. */
      readonly expires?: string;
      /** `?download=NAME`: served as an attachment with that file name. */
      readonly download?: string;
    }
  | { readonly kind: "put" }
  | { readonly kind: "delete" }
  | { readonly kind: "create-multipart" }
  | { readonly kind: "sign-part"; readonly uploadId: string; readonly partNumber: number }
  | { readonly kind: "sign-parts"; readonly uploadId: string; readonly first: number; readonly last: number }
  | { readonly kind: "list-parts"; readonly uploadId: string }
  | { readonly kind: "complete-multipart"; readonly uploadId: string }
  | { readonly kind: "abort-multipart"; readonly uploadId: string };

export const ALLOWED_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"] as const;
/** Part URLs are signed when asked for, a bounded batch at a time, so none expires unused. */
export const MAX_PARTS_PER_REQUEST = 1000;

export function actionOf(operation: Operation): Action {
  switch (operation.kind) {
    case "read":
      return "read";
    case "delete":
      return "delete";
    default:
      // Multipart calls, aborting included, are steps of a write.
      return "write";
  }
}

function partNumber(text: string, name: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > S3_LIMITS.maxParts) {
    throw new BadRequest(
      "InvalidPartNumber",
      `${name} must be a whole number from 1 to ${S3_LIMITS.maxParts}, got "${text}"`,
    );
  }
  return Number(text);
}

function parseQuery(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    if (params.has(name)) throw new BadRequest("InvalidQuery", `the query parameter ${name} is given twice`);
    params.set(name, value);
  }
  return params;
}

const MAX_VERSION_ID_LENGTH = 1024;

function readOperation(method: "GET" | "HEAD", query: Map<string, string>): Operation {
  const versionId = query.get("versionId");
  if (
    versionId !== undefined &&
    (versionId === "" || versionId.length > MAX_VERSION_ID_LENGTH || hasControlCharacter(versionId))
  ) {
    throw new BadRequest("InvalidVersionId", "versionId must be a version ID from this store");
  }
  const expires = query.get("expires");
  const download = query.get("download");
  return {
    kind: "read",
    method,
    ...(versionId === undefined ? {} : { versionId }),
    ...(expires === undefined ? {} : { expires }),
    ...(download === undefined ? {} : { download }),
  };
}

export function operationOf(method: string, rawQuery: string): Operation {
  const query = parseQuery(rawQuery);
  const uploadId = query.get("uploadId");
  if (uploadId === "") throw new BadRequest("InvalidUploadId", "uploadId must not be empty");
  switch (method) {
    case "GET":
    case "HEAD": {
      if (uploadId === undefined) return readOperation(method, query);
      if (method === "HEAD") throw new MethodNotAllowed(method, ["GET", "PUT", "POST", "DELETE"]);
      const parts = query.get("parts");
      if (parts === undefined) return { kind: "list-parts", uploadId };
      const m = /^(\d+)-(\d+)$/.exec(parts);
      const first = partNumber(m?.[1] ?? parts, "parts (first)");
      const last = m ? partNumber(m[2] ?? "", "parts (last)") : first;
      if (last < first || last - first + 1 > MAX_PARTS_PER_REQUEST) {
        throw new BadRequest(
          "InvalidPartRange",
          `parts must be N or N-M with N <= M and at most ${MAX_PARTS_PER_REQUEST} parts, got "${parts}"`,
        );
      }
      return { kind: "sign-parts", uploadId, first, last };
    }
    case "PUT": {
      const part = query.get("partNumber");
      if (uploadId === undefined && part === undefined) return { kind: "put" };
      if (uploadId === undefined || part === undefined) {
        throw new BadRequest("InvalidQuery", "an upload part needs both partNumber and uploadId");
      }
      return { kind: "sign-part", uploadId, partNumber: partNumber(part, "partNumber") };
    }
    case "POST":
      if (query.has("uploads") && uploadId === undefined) return { kind: "create-multipart" };
      if (uploadId !== undefined && !query.has("uploads")) return { kind: "complete-multipart", uploadId };
      throw new BadRequest(
        "InvalidQuery",
        "POST starts a multipart upload (?uploads) or completes one (?uploadId=ID)",
      );
    case "DELETE":
      return uploadId === undefined ? { kind: "delete" } : { kind: "abort-multipart", uploadId };
    default:
      throw new MethodNotAllowed(method, ALLOWED_METHODS);
  }
}
