import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { S3Presigner } from "../../../functions/signers/s3-presigner";
import {
  type RunningStorage,
  type StorageCredentials,
  type StorageOptions,
  startStorage,
} from "../../../local/storage/server";
import type { WriteFault } from "../../../local/storage/store/durable-write";

export const BUCKET = "files";
export const REGION = "us-east-1";
export const WRITER: StorageCredentials = {
  accessKeyId: "AKIDLOCALWRITER",
  secretAccessKey: "writer-secret",
};
export const READER: StorageCredentials = {
  accessKeyId: "AKIDLOCALREADER",
  secretAccessKey: "reader-secret",
};

export const md5 = (data: Buffer | string) => createHash("md5").update(data).digest("hex");

export interface PresignOptions {
  readonly query?: Record<string, string>;
  readonly signedHeaders?: Record<string, string>;
  readonly as?: StorageCredentials;
}

export interface StorageFixture {
  readonly url: string;
  readonly dataDir: string;
  readonly storage: RunningStorage;
  presign(
    method: "GET" | "HEAD" | "PUT" | "DELETE" | "POST",
    key: string,
    options?: PresignOptions,
  ): Promise<string>;
  /** An SDK client as the function uses it: path-style, checksums only where S3 requires them. */
  client(as?: StorageCredentials): S3Client;
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** Local storage on a fresh data directory (or the given one), with fixed writer and reader keys. */
export async function startStorageFixture(
  options: {
    dataDir?: string;
    writeFault?: WriteFault;
    clock?: () => Date;
    lifecycle?: StorageOptions["lifecycle"];
  } = {},
): Promise<StorageFixture> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "sfs-storage-"));
  const storage: RunningStorage = await startStorage({
    dataDir,
    bucket: BUCKET,
    writer: WRITER,
    reader: READER,
    ...(options.writeFault ? { writeFault: options.writeFault } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
  });
  const clients: S3Client[] = [];
  return {
    url: storage.url,
    dataDir,
    storage,
    presign: (method, key, o = {}) =>
      new S3Presigner(
        { bucket: BUCKET, region: REGION, endpoint: storage.url },
        async () => o.as ?? WRITER,
      ).presign({
        method,
        key,
        ...(o.query ? { query: o.query } : {}),
        ...(o.signedHeaders ? { signedHeaders: o.signedHeaders } : {}),
        expiresInSeconds: 300,
        now: options.clock?.() ?? new Date(),
      }),
    client: (as = WRITER) => {
      const client = new S3Client({
        region: REGION,
        endpoint: storage.url,
        forcePathStyle: true,
        credentials: as,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const c of clients.splice(0)) c.destroy();
      await storage.close();
    },
    close: async () => {
      for (const c of clients.splice(0)) c.destroy();
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The text of the first `<name>` element of an XML body. */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
}
