import type { ObjectInfo } from "../api/shapes";
import type { CredentialsProvider, S3Target } from "../signers/s3-presigner";
import type { Logger } from "../telemetry/log";
import { type Deadline, lazyS3Client, QUICK_CALL_DEADLINE } from "./client";
import { type Copied, type CopyLimits, S3_COPY_LIMITS, s3Copies } from "./copies";
import { DELETE_PLAN, type DeleteEntry, type DeletePlan, type EntriesOutcome, s3Deletes } from "./deletes";
import { type ListPage, s3Listings, type VersionPage, type VersionRef } from "./listings";

export type { ListedObject, ObjectVersion } from "../api/shapes";
export type { Copied, CopyLimits } from "./copies";
export { S3_COPY_LIMITS } from "./copies";
export type { DeleteEntry, DeletePlan, EntriesOutcome } from "./deletes";
export { DELETE_PLAN } from "./deletes";
export type { ListPage, VersionPage, VersionRef } from "./listings";

/** The object-management calls the function makes itself; no object bytes pass through it. */
export interface FileStore {
  list(prefix: string, recursive: boolean, limit: number, token?: string): Promise<ListPage>;
  /** 400 InvalidToken when `afterVersionId` names no version or delete marker of the key. */
  listVersions(key: string, limit: number, afterVersionId?: string): Promise<VersionPage>;
  /** Every version and delete marker of exactly `key`. */
  allVersions(key: string): Promise<VersionRef[]>;
  /** Server-side copy of `source` (already looked up) to `destinationKey`. */
  copy(source: ObjectInfo, destinationKey: string): Promise<Copied>;
  /** With `ifMatch`, only while the current version has that ETag; 412 PreconditionFailed otherwise. */
  deleteOne(key: string, ifMatch?: string): Promise<void>;
  /** Removes one version (or delete marker) for good. */
  deleteVersion(key: string, versionId: string): Promise<void>;
  /** Keys (a delete marker each), or versions for good; says of each whether it was deleted. */
  deleteEntries(entries: readonly DeleteEntry[]): Promise<EntriesOutcome>;
}

export interface FileStoreOptions {
  readonly copyLimits?: CopyLimits;
  /** Each quick call's deadline (listing, deleting); QUICK_CALL_MS from its start by default. */
  readonly deadline?: Deadline;
  readonly deletePlan?: DeletePlan;
  /** Where a failed call of a batch is logged: its keys are answered, its detail goes here. */
  readonly log?: Logger;
}

export function s3FileStore(
  target: S3Target,
  credentials: CredentialsProvider,
  options: FileStoreOptions = {},
): FileStore {
  const s3 = lazyS3Client(target, credentials);
  const deadline = options.deadline ?? QUICK_CALL_DEADLINE;
  return {
    ...s3Listings(s3, target.bucket, deadline),
    ...s3Copies(s3, target.bucket, options.copyLimits ?? S3_COPY_LIMITS),
    ...s3Deletes(s3, target.bucket, deadline, options.deletePlan ?? DELETE_PLAN, options.log),
  };
}
