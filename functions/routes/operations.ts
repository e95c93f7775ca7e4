import { BadRequest, MethodNotAllowed } from "../api/http-error";
import { hasControlCharacter } from "../api/object-key";
import { S3_LIMITS } from "../api/upload-rules";
import type { AuthAction } from "../auth/authorizer";

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
  | { readonly kind: "abort-multipart"; readonly uploadId: string }
  | FileOperation;

/** Object management: listing, copying, moving, deleting in bulk, versions. */
export type FileOperation =
  | {
      readonly kind: "list";
      readonly recursive: boolean;
      readonly limit: number;
      readonly after?: string;
    }
  | { readonly kind: "list-versions"; readonly limit: number; readonly after?: string }
  | { readonly kind: "copy"; readonly source: string }
  | { readonly kind: "move" }
  | { readonly kind: "delete-many" }
  /** `DELETE /{key}?purge`: every version and delete marker, and the CDN's cached copies. */
  | { readonly kind: "purge" }
  /** `POST /?delete&purge`: the same for each key of the body. */
  | { readonly kind: "purge-many" }
  | { readonly kind: "restore" };

const FILE_KINDS: ReadonlySet<string> = new Set([
  "list",
  "list-versions",
  "copy",
  "move",
  "delete-many",
  "purge",
  "purge-many",
  "restore",
]);

export function isFileOperation(operation: Operation): operation is FileOperation {
  return FILE_KINDS.has(operation.kind);
}

/** What the request line and headers say beyond the method and query. */
export interface RequestShape {
  /** The path ends in `/` (or is `/`): a prefix, not a key. */
  readonly listing: boolean;
  /** The path is `/`, the root. */
  readonly root?: boolean;
  /** The `Copy-Source` header. */
  readonly copySource?: string;
}

export const MAX_LIST_LIMIT = 1000;

export const ALLOWED_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"] as const;
/** Part URLs are signed when asked for, a bounded batch at a time, so none expires unused. */
export const MAX_PARTS_PER_REQUEST = 1000;

export function actionOf(operation: Operation): AuthAction {
  switch (operation.kind) {
    case "read":
    case "list":
    case "list-versions":
      return "read";
    case "delete":
      return "delete";
    case "purge":
      return "purge";
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

function paging(query: Map<string, string>): { limit: number; after?: string } {
  const limitText = query.get("limit");
  const limit =
    limitText === undefined ? MAX_LIST_LIMIT : /^\d{1,4}$/.test(limitText) ? Number(limitText) : 0;
  if (limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new BadRequest(
      "InvalidLimit",
      `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got "${limitText}"`,
    );
  }
  const after = query.get("after");
  if (after === "") throw new BadRequest("InvalidToken", "after must be the next token of the previous page");
  return { limit, ...(after === undefined ? {} : { after }) };
}

function fileOperationOf(
  method: string,
  query: Map<string, string>,
  shape: RequestShape,
): Operation | undefined {
  if ((method === "GET" || method === "HEAD") && shape.listing) {
    return { kind: "list", recursive: query.has("recursive"), ...paging(query) };
  }
  if (shape.listing && !(method === "POST" && query.has("delete"))) return undefined;
  if (method === "GET" && query.has("versions")) return { kind: "list-versions", ...paging(query) };
  if (method === "PUT" && shape.copySource !== undefined) return { kind: "copy", source: shape.copySource };
  if (method !== "POST") return undefined;
  const named = ["move", "delete", "restore"].filter((name) => query.has(name));
  if (named.length > 1)
    throw new BadRequest(
      "InvalidQuery",
      `POST takes one of ?move, ?delete or ?restore, got ${named.join(" and ")}`,
    );
  if (query.has("delete")) {
    // Keys in the body are whole keys. A path would either be ignored (deleting keys outside it) or
    // change what the keys name; neither is taken.
    if (!shape.root) {
      throw new BadRequest(
        "InvalidQuery",
        "a batch delete is POST /?delete on the root, with whole keys in its body; no other path takes it",
      );
    }
    return query.has("purge") ? { kind: "purge-many" } : { kind: "delete-many" };
  }
  if (query.has("move")) return { kind: "move" };
  if (query.has("restore")) return { kind: "restore" };
  return undefined;
}

export function operationOf(
  method: string,
  rawQuery: string,
  shape: RequestShape = { listing: false },
): Operation {
  const query = parseQuery(rawQuery);
  const file = fileOperationOf(method, query, shape);
  if (file) return file;
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
      if (uploadId !== undefined) return { kind: "abort-multipart", uploadId };
      return query.has("purge") ? { kind: "purge" } : { kind: "delete" };
    default:
      throw new MethodNotAllowed(method, ALLOWED_METHODS);
  }
}
