import { BadRequest, NotFound, PreconditionFailed } from "../api/http-error";
import { keyFromRawPath } from "../api/object-key";
import type { Authorizer, AuthRequest } from "../auth/authorizer";
import type { FunctionUrlEvent } from "../http/function-url";
import type { FileStore } from "../s3/files";
import type { ObjectInfo } from "../s3/objects";
import type { Logger } from "../telemetry/log";
import { errorDetail } from "../telemetry/log";
import { bodyKey } from "./request-body";

export interface MoveDeps {
  readonly authorizer: Authorizer;
  readonly files: FileStore;
  readonly source: (key: string) => Promise<ObjectInfo>;
  readonly log?: Logger;
}

/** What a copy answers: the destination's new version, and its checksum when S3 says. */
export function copyAnswer(from: ObjectInfo, to: string, out: Awaited<ReturnType<FileStore["copy"]>>) {
  return {
    key: to,
    etag: out.etag,
    size: from.size,
    ...(out.versionId ? { versionId: out.versionId } : {}),
    ...(out.checksum ? { checksum: out.checksum } : {}),
  };
}

/**
 * `POST /{key}?move` `{ "to": … }`: a copy, then the source's delete, only while the source is still
 * the version copied (If-Match, Amazon S3 User Guide, "How to perform conditional deletes"). S3 has
 * no rename, so two requests can both copy one source before either deletes it: the one whose
 * delete then fails (a write, a delete or another move got there first) takes its copy back by
 * deleting the version it made, so its destination is as it was, and answers 412 saying so. A
 * bucket without versions has no version to delete; the answer then says the copy stays.
 */
export async function move(deps: MoveDeps, event: FunctionUrlEvent, auth: AuthRequest) {
  const { authorizer, files } = deps;
  const key = keyFromRawPath(event.rawPath);
  const to = bodyKey(event, "to", '{ "to": "destination/key" }');
  if (to === key) throw new BadRequest("InvalidMove", "a move needs a destination other than the source");
  const principal = await authorizer.authorize(auth, "read", key);
  await authorizer.authorize(auth, "delete", key);
  await authorizer.authorize(auth, "write", to);
  const moving = await deps.source(key);
  const out = await files.copy(moving, to);
  try {
    await files.deleteOne(key, moving.etag);
  } catch (error) {
    if (!(error instanceof PreconditionFailed || error instanceof NotFound)) throw error;
    const changed = `${key} changed while it was moved (another request wrote, moved or deleted it), so it was not deleted`;
    if (!out.versionId) {
      throw new PreconditionFailed(
        `${changed}; ${to} keeps the copy made, since this bucket keeps no versions to take it back by`,
      );
    }
    try {
      await files.deleteVersion(to, out.versionId);
    } catch (undo) {
      deps.log?.log("error", "a move's copy could not be taken back", { key: to, ...errorDetail(undo) });
      throw new PreconditionFailed(
        `${changed}; taking back the copy failed, so ${to} holds it as version ${out.versionId}: delete that version to put ${to} back as it was`,
      );
    }
    throw new PreconditionFailed(`${changed}; the copy was taken back, so ${to} is as it was`);
  }
  return { result: copyAnswer(moving, to, out), key, principal };
}
