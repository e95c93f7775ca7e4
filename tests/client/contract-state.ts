import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { Crc64Nvme, type ObjectChecksum } from "../../functions/api/checksums";
import { type FakeServer, type Recorded, sendJson } from "./fake-server";

export const crcOf = (bytes: Uint8Array) => new Crc64Nvme().update(bytes).digest();
export const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("hex");

export interface StoredObject {
  readonly body: Buffer;
  readonly versionId: string;
  readonly contentType?: string;
  readonly contentDisposition?: string;
  readonly checksum: ObjectChecksum;
  /** A delete marker: the key reads as missing while it is the newest entry. */
  readonly deleteMarker?: true;
}

export interface Upload {
  readonly key: string;
  readonly algorithm?: string;
  readonly parts: Map<number, { body: Buffer; crc: string }>;
}

/** What the API and the storage of the contract store share. */
export interface ContractState {
  readonly objects: Map<string, StoredObject[]>;
  readonly uploads: Map<string, Upload>;
  /** Called before storage answers a request; resolve to answer, or answer `res` yourself and return true. */
  intercept?: (req: Recorded, res: ServerResponse) => Promise<boolean | undefined> | boolean | undefined;
  /** Part URLs and PUT URLs expire this long after signing. */
  expiresInMs: number;
  partSize: number;
  nextVersion(): string;
}

export interface ContractStore extends ContractState {
  readonly api: FakeServer;
  readonly storage: FakeServer;
  close(): Promise<void>;
}

export const apiError = (res: ServerResponse, status: number, code: string, message: string) =>
  sendJson(res, status, { error: { code, message } });

export const s3Error = (res: ServerResponse, status: number, code: string, message: string) =>
  res
    .writeHead(status, { "content-type": "application/xml" })
    .end(`<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
