import { BadRequest, Forbidden, NotFound } from "../api/http-error";
import { keyFromRawPath } from "../api/object-key";
import type { Authorizer, AuthRequest, Principal } from "../auth/authorizer";
import type { Invalidator } from "../http/cloudfront-invalidation";
import type { FunctionUrlEvent, FunctionUrlResult } from "../http/function-url";
import { jsonResponse } from "../http/responses";
import type { FileStore } from "../s3/files";
import type { ObjectInfo, ObjectLookup } from "../s3/objects";
import type { Logger } from "../telemetry/log";
import { sortBatch } from "./batch-keys";
import { listingPlan, listPage, prefixFromRawPath } from "./listing";
import { copyAnswer, move } from "./move";
import type { FileOperation } from "./operations";
import { createPurgeRoutes } from "./purge";
import { batchKeys, bodyString } from "./request-body";

export interface FileRouteDeps {
  readonly authorizer: Authorizer;
  readonly files: FileStore;
  readonly objects: ObjectLookup;
  readonly invalidator: Invalidator;
  /** The path every read URL starts with, before the key (`""` on the CDN's own domain). */
  readonly cdnBasePath: string;
  readonly log?: Logger;
}

export interface FileRouteResult {
  readonly result: FunctionUrlResult;
  /** The key or prefix the request named, for the log line. */
  readonly key: string;
  readonly principal: Principal;
}

/**
 * Listing, copy, move, batch delete, versions, restore and purge. Each checks the same rules as a
 * transfer, on every key it touches: copy reads the source and writes the destination, move also
 * deletes the source, a listing shows only what the caller may read.
 */
export function createFileRoutes(deps: FileRouteDeps) {
  const { authorizer, files, objects } = deps;
  const purges = createPurgeRoutes(deps);

  async function source(key: string, versionId?: string): Promise<ObjectInfo> {
    const found = await objects.head(key, versionId);
    if (found) return found;
    if (versionId !== undefined) throw new NotFound("NoSuchVersion", `no version ${versionId} of ${key}`);
    throw new NotFound("NoSuchKey", `no object at ${key}`);
  }

  async function answer(
    operation: FileOperation,
    event: FunctionUrlEvent,
    auth: AuthRequest,
  ): Promise<{ result: unknown; key: string; principal: Principal }> {
    switch (operation.kind) {
      case "list": {
        const prefix = prefixFromRawPath(event.rawPath);
        const reach = await authorizer.reach(auth, "read");
        const plan = listingPlan(prefix, reach);
        // An anonymous caller is asked to authenticate, as a read of a private key asks it.
        if (!plan) throw reach.refusal ?? new Forbidden(`this caller may not list ${JSON.stringify(prefix)}`);
        const page = await listPage(files, plan, operation);
        return { result: { prefix, ...page }, key: prefix, principal: reach.principal };
      }
      case "list-versions": {
        const key = keyFromRawPath(event.rawPath);
        const principal = await authorizer.authorize(auth, "read", key);
        const page = await files.listVersions(key, operation.limit, operation.after);
        return { result: { key, versions: page.versions, next: page.next ?? null }, key, principal };
      }
      case "copy": {
        const key = keyFromRawPath(event.rawPath);
        if (event.body) throw new BadRequest("InvalidCopy", "a copy (Copy-Source) has no body");
        const { sourceKey, versionId } = parseCopySource(operation.source);
        const principal = await authorizer.authorize(auth, "write", key);
        await authorizer.authorize(auth, "read", sourceKey);
        const from = await source(sourceKey, versionId);
        return { result: copyAnswer(from, key, await files.copy(from, key)), key, principal };
      }
      case "move":
        return move({ ...deps, source: (key) => source(key) }, event, auth);
      case "restore": {
        const key = keyFromRawPath(event.rawPath);
        const versionId = bodyString(event, "versionId", '{ "versionId": "V" }');
        const principal = await authorizer.authorize(auth, "write", key);
        // Copying a version over its key makes it current again, a deleted key included (Amazon S3
        // User Guide, "Restoring previous versions").
        const from = await source(key, versionId);
        return { result: copyAnswer(from, key, await files.copy(from, key)), key, principal };
      }
      case "delete-many": {
        const reach = await authorizer.reach(auth, "delete");
        const { allowed, errors } = sortBatch(batchKeys(event), reach, "delete");
        const outcome = await files.deleteEntries(allowed.map((key) => ({ key })));
        const failed = outcome.errors.map(({ key, code, message }) => ({ key, code, message }));
        return {
          result: { deleted: outcome.deleted.map((e) => e.key), errors: [...errors, ...failed] },
          key: "",
          principal: reach.principal,
        };
      }
      case "purge":
        return purges.purgeOne(event, auth, event.requestContext.requestId);
      case "purge-many":
        return purges.purgeMany(event, auth, event.requestContext.requestId);
    }
  }

  return async function route(
    operation: FileOperation,
    event: FunctionUrlEvent,
    auth: AuthRequest,
  ): Promise<FileRouteResult> {
    const { result, key, principal } = await answer(operation, event, auth);
    return { result: jsonResponse(200, result), key, principal };
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
