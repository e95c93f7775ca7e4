import {
  completionChecksum,
  type DeclaredChecksum,
  declaredChecksum,
  declaredPartChecksums,
  multipartChecksum,
} from "../api/checksum-headers";
import { CHECKSUM_HEADERS } from "../api/checksums";
import { BadRequest } from "../api/http-error";
import {
  checkSinglePut,
  describeUpload,
  headersToSend,
  signedUploadHeaders,
  type UploadLimits,
} from "../api/upload-rules";
import type { FunctionUrlEvent } from "../http/function-url";
import type { TransferInstruction } from "../http/responses";
import type { MultipartStore } from "../s3/multipart";
import type { S3Presigner } from "../signers/s3-presigner";
import { millisSince } from "../telemetry/elapsed";
import type { Trace } from "../telemetry/metrics";
import { parseCompleteBody } from "./complete-body";
import { createMultipartRoutes, type JsonResult } from "./multipart";
import { completionAsJson, objectLocation } from "./multipart-xml";
import type { Operation } from "./operations";

type Headers = Readonly<Record<string, string | undefined>>;

/** The operations answered with a signed URL to S3, or with the result of a multipart call. */
export type TransferOperation = Extract<
  Operation,
  {
    kind:
      | "put"
      | "delete"
      | "create-multipart"
      | "sign-part"
      | "sign-parts"
      | "list-parts"
      | "complete-multipart"
      | "abort-multipart";
  }
>;

export interface TransferDeps {
  readonly presigner: S3Presigner;
  readonly multipart: MultipartStore;
  readonly limits: UploadLimits;
  /** Write URLs' lifetime. */
  readonly expirySeconds: number;
}

export function createTransfers(deps: TransferDeps) {
  const { presigner, multipart, limits, expirySeconds } = deps;
  const uploads = createMultipartRoutes(multipart, limits);

  const expiresAtFor = (now: Date) =>
    // SigV4's X-Amz-Date carries whole seconds, so this is the instant the URL really stops working.
    new Date((Math.floor(now.getTime() / 1000) + expirySeconds) * 1000).toISOString();

  async function presign(
    method: "PUT" | "DELETE",
    key: string,
    signedHeaders: Record<string, string>,
    query: Record<string, string>,
    now: Date,
    trace: Trace,
  ): Promise<TransferInstruction> {
    const started = process.hrtime.bigint();
    const url = await presigner.presign({
      method,
      key,
      signedHeaders,
      query,
      expiresInSeconds: expirySeconds,
      now,
    });
    trace.signingMs += millisSince(started);
    return { method, url, headers: headersToSend(signedHeaders), expiresAt: expiresAtFor(now) };
  }

  /**
   * Part URLs, each signing its part's checksum when one is given. The upload is checked first (one
   * ListParts page, which answers NoSuchUpload for an upload that is gone, and names the upload's
   * checksum algorithm), so a batch of up to 1,000 URLs is never signed for an upload that cannot
   * take them: S3 refuses a part without a checksum, or with another algorithm's, on an upload
   * created with one ("Checksum Type mismatch occurred").
   */
  async function partInstructions(
    key: string,
    uploadId: string,
    first: number,
    last: number,
    headers: Headers,
    now: Date,
    trace: Trace,
  ): Promise<Array<TransferInstruction & { partNumber: number }>> {
    const checksums = declaredPartChecksums(headers, first, last, limits.requireChecksum);
    const { checksum: upload } = await multipart.checkUpload(key, uploadId);
    const given = checksums?.[0]?.algorithm;
    if (upload && given !== upload.algorithm) {
      const wanted = CHECKSUM_HEADERS[upload.algorithm];
      throw new BadRequest(
        "InvalidChecksum",
        `this upload was created with ${upload.algorithm}: send ${wanted} with each part's checksum${given ? `, not ${CHECKSUM_HEADERS[given]}` : ""}`,
      );
    }
    const parts = [];
    for (let partNumber = first; partNumber <= last; partNumber++) {
      const checksum: DeclaredChecksum | undefined = checksums?.[partNumber - first];
      const signed = checksum ? { [CHECKSUM_HEADERS[checksum.algorithm]]: checksum.value } : {};
      const query = { partNumber: String(partNumber), uploadId };
      parts.push({ partNumber, ...(await presign("PUT", key, signed, query, now, trace)) });
    }
    return parts;
  }

  return async function perform(
    operation: TransferOperation,
    key: string,
    headers: Headers,
    event: FunctionUrlEvent,
    now: Date,
    trace: Trace,
  ): Promise<TransferInstruction | JsonResult> {
    switch (operation.kind) {
      case "put": {
        const upload = describeUpload(headers, limits, bodyLength(event));
        checkSinglePut(upload, limits);
        const checksum = declaredChecksum(headers, limits.requireChecksum);
        const signed = signedUploadHeaders(checksum ? { ...upload, checksum } : upload);
        if (createOnly(headers)) signed["if-none-match"] = "*";
        return presign("PUT", key, signed, {}, now, trace);
      }
      case "delete":
        return presign("DELETE", key, {}, {}, now, trace);
      case "create-multipart": {
        const upload = describeUpload(headers, limits, 0);
        const checksum = multipartChecksum(headers, limits.requireChecksum);
        return uploads.create(key, checksum ? { ...upload, multipartChecksum: checksum } : upload);
      }
      case "sign-part": {
        const { uploadId, partNumber } = operation;
        const [part] = await partInstructions(key, uploadId, partNumber, partNumber, headers, now, trace);
        if (!part) throw new Error("no part URL was signed");
        return { method: part.method, url: part.url, headers: part.headers, expiresAt: part.expiresAt };
      }
      case "sign-parts": {
        const { uploadId, first, last } = operation;
        const parts = (await partInstructions(key, uploadId, first, last, headers, now, trace)).map(
          ({ partNumber, url, headers }) => ({ partNumber, url, headers }),
        );
        return { status: 200, body: { uploadId, key, parts, expiresAt: expiresAtFor(now) } };
      }
      case "list-parts":
        return uploads.listParts(key, operation.uploadId);
      case "complete-multipart":
        return uploads.complete(
          key,
          operation.uploadId,
          parseCompleteBody(completionAsJson(event)),
          createOnly(headers),
          completionChecksum(headers),
          objectLocation(event, key),
        );
      case "abort-multipart":
        return multipart.abort(key, operation.uploadId).then(() => ({ status: 204 }));
    }
  };
}

function createOnly(headers: Headers): boolean {
  const ifNoneMatch = headers["if-none-match"];
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() !== "*") {
    throw new BadRequest(
      "InvalidIfNoneMatch",
      'S3 supports only "If-None-Match: *" (create-only) on uploads',
    );
  }
  return true;
}

function bodyLength(event: FunctionUrlEvent): number {
  if (!event.body) return 0;
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").length : Buffer.byteLength(event.body);
}
