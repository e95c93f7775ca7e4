import { BadRequest, Forbidden, NotFound, PreconditionFailed } from "../api/http-error";
import { keyFromRawPath, validateKey } from "../api/object-key";
import { type Authorizer, type AuthRequest, type Principal, reaches } from "../auth/authorizer";
import type { FunctionUrlEvent, FunctionUrlResult } from "../http/function-url";
import { jsonBody } from "../http/json-body";
import { jsonResponse } from "../http/responses";
import type { FileStore } from "../s3/files";
import type { ObjectInfo, ObjectLookup } from "../s3/objects";
import { listingPlan, listPage, prefixFromRawPath } from "./listing";
import type { FileOperation } from "./operations";

export interface FileRouteDeps {
  readonly authorizer: Authorizer;
  readonly files: FileStore;
  readonly objects: ObjectLookup;
}

export interface FileRouteResult {
  readonly result: FunctionUrlResult;
  /** The key or prefix the request named, for the log line. */
  readonly key: string;
  readonly principal: Principal;
}

const MAX_BATCH_KEYS = 1000;

/**
 * Listing, copy, move, batch delete, versions and restore. Each checks the same rules as a
 * transfer, on every key it touches: copy reads the source and writes the destination, move also
 * deletes the source, a listing shows only what the caller may read.
 */
export function createFileRoutes(deps: FileRouteDeps) {
  const { authorizer, files, objects } = deps;

  async function source(key: string, versionId?: string): Promise<ObjectInfo> {
    const found = await objects.head(key, versionId);
    if (found) return found;
    if (versionId !== undefined) throw new NotFound("NoSuchVersion", `no version ${versionId} of ${key}`);
    throw new NotFound("NoSuchKey", `no object at ${key}`);
  }

  async function copied(from: ObjectInfo, to: string) {
    const out = await files.copy(from, to);
    return {
      key: to,
      etag: out.etag,
      size: from.size,
      ...(out.versionId ? { versionId: out.versionId } : {}),
    };
  }

  return async function route(
    operation: FileOperation,
    event: FunctionUrlEvent,
    auth: AuthRequest,
  ): Promise<FileRouteResult> {
    switch (operation.kind) {
      case "list": {
        const prefix = prefixFromRawPath(event.rawPath);
        const reach = await authorizer.reach(auth, "read");
        const plan = listingPlan(prefix, reach);
        if (!plan) throw new Forbidden(`this caller may not list ${JSON.stringify(prefix)}`);
        const page = await listPage(files, plan, operation);
        return { result: jsonResponse(200, { prefix, ...page }), key: prefix, principal: reach.principal };
      }
      case "list-versions": {
        const key = keyFromRawPath(event.rawPath);
        const principal = await authorizer.authorize(auth, "read", key);
        const page = await files.listVersions(key, operation.limit, operation.after);
        return {
          result: jsonResponse(200, { key, versions: page.versions, next: page.next ?? null }),
          key,
          principal,
        };
      }
      case "copy": {
        const key = keyFromRawPath(event.rawPath);
        if (event.body) throw new BadRequest("InvalidCopy", "a copy (Copy-Source) has no body");
        const { sourceKey, versionId } = parseCopySource(operation.source);
        const principal = await authorizer.authorize(auth, "write", key);
        await authorizer.authorize(auth, "read", sourceKey);
        const result = await copied(await source(sourceKey, versionId), key);
        return { result: jsonResponse(200, result), key, principal };
      }
      case "move": {
        const key = keyFromRawPath(event.rawPath);
        const to = bodyKey(event, "to", '{ "to": "destination/key" }');
        if (to === key)
          throw new BadRequest("InvalidMove", "a move needs a destination other than the source");
        const principal = await authorizer.authorize(auth, "read", key);
        await authorizer.authorize(auth, "delete", key);
        await authorizer.authorize(auth, "write", to);
        // The source is deleted only once the copy has succeeded, and only while it is still the
        // version copied (If-Match, Amazon S3 User Guide, "How to perform conditional deletes"): a
        // write to the source during the move stays current rather than hidden by the delete.
        const moving = await source(key);
        const result = await copied(moving, to);
        await files.deleteOne(key, moving.etag).catch((error: unknown) => {
          if (!(error instanceof PreconditionFailed)) throw error;
          throw new PreconditionFailed(
            `${key} was written while it was moved: ${to} holds the version moved, and ${key}, not deleted, the newer one`,
          );
        });
        return { result: jsonResponse(200, result), key, principal };
      }
      case "restore": {
        const key = keyFromRawPath(event.rawPath);
        const versionId = bodyString(event, "versionId", '{ "versionId": "V" }');
        const principal = await authorizer.authorize(auth, "write", key);
        // Copying a version over its key makes it current again, a deleted key included (Amazon S3
        // User Guide, "Restoring previous versions").
        const restored = await copied(await source(key, versionId), key);
        return { result: jsonResponse(200, restored), key, principal };
      }
      case "delete-many": {
        const reach = await authorizer.reach(auth, "delete");
        const keys = batchKeys(event);
        const errors: Array<{ key: string; code: string; message: string }> = [];
        const allowed: string[] = [];
        for (const key of keys) {
          const problem = keyProblem(key);
          if (problem) errors.push({ key, code: "InvalidKey", message: problem });
          else if (!reaches(reach, key)) {
            errors.push({
              key,
              code: "Forbidden",
              message: `this caller may not delete ${JSON.stringify(key)}`,
            });
          } else allowed.push(key);
        }
        const outcome = await files.deleteMany(allowed);
        const deleted = new Set(outcome.deleted);
        return {
          result: jsonResponse(200, {
            deleted: allowed.filter((k) => deleted.has(k)),
            errors: [...errors, ...outcome.errors],
          }),
          key: "",
          principal: reach.principal,
        };
      }
    }
  };
}

/** `Copy-Source: /photos/a%20cat.png`, optionally `?versionId=V`, encoded like a request path. */
export function parseCopySource(header: string): { sourceKey: string; versionId?: string } {
  const q = header.indexOf("?");
  const path = q === -1 ? header : header.slice(0, q);
  if (!path.startsWith("/")) {
    throw new BadRequest(
      "InvalidCopySource",
      "Copy-Source must be the source's path, such as /photos/cat.png",
    );
  }
  const sourceKey = keyFromRawPath(path);
  if (q === -1) return { sourceKey };
  const query = new URLSearchParams(header.slice(q + 1));
  const versionId = query.get("versionId");
  if (!versionId || [...query.keys()].length !== 1) {
    throw new BadRequest("InvalidCopySource", "Copy-Source may carry only ?versionId=V after the path");
  }
  return { sourceKey, versionId };
}

function bodyField(event: FunctionUrlEvent, name: string, shape: string): unknown {
  const invalid = (why: string) => new BadRequest("InvalidBody", `the body must be JSON ${shape}: ${why}`);
  const body = jsonBody(event, invalid);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("it is not an object");
  return (body as Record<string, unknown>)[name];
}

function bodyString(event: FunctionUrlEvent, name: string, shape: string): string {
  const value = bodyField(event, name, shape);
  if (typeof value !== "string" || value === "") {
    throw new BadRequest("InvalidBody", `the body must be JSON ${shape}: ${name} must be a non-empty string`);
  }
  return value;
}

/** Keys in bodies are checked exactly as keys in paths. */
function bodyKey(event: FunctionUrlEvent, name: string, shape: string): string {
  const key = bodyString(event, name, shape);
  validateKey(key);
  return key;
}

function keyProblem(key: string): string | undefined {
  try {
    validateKey(key);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function batchKeys(event: FunctionUrlEvent): string[] {
  const shape = '{ "keys": ["a/b.txt", ...] }';
  const keys = bodyField(event, "keys", shape);
  if (
    !Array.isArray(keys) ||
    keys.length < 1 ||
    keys.length > MAX_BATCH_KEYS ||
    keys.some((k) => typeof k !== "string")
  ) {
    throw new BadRequest(
      "InvalidBody",
      `the body must be JSON ${shape}: keys must hold 1 to ${MAX_BATCH_KEYS} strings`,
    );
  }
  return [...new Set(keys as string[])];
}
