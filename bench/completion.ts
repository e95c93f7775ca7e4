/**
 * Multipart completion on the local storage: the time CompleteMultipartUpload takes for two parts
 * of half the file each, against two parts of the smallest size. Completion links the parts into
 * the new version rather than copying their bytes, so the two take about as long; a completion
 * that copied would take as long as writing the file again.
 */

import { Api } from "../client/api";
import { DEFAULT_RETRY } from "../client/retry";
import { checksumRange, partRange, putBody } from "../client/transfer/file-ranges";
import { combinedCrc } from "../client/transfer/multipart";
import { crc64ToBase64 } from "../functions/api/checksums";

const MIB = 1024 * 1024;
/** S3's smallest part but the last (Amazon S3 User Guide, "Amazon S3 multipart upload limits"). */
const SMALL_PART = 5 * MIB;

/** Below this, the whole file's two parts would be no larger than the small ones. */
export const COMPLETION_MIN_BYTES = 4 * SMALL_PART;

export interface Completion {
  readonly bytes: number;
  readonly seconds: number;
}

/** Uploads the file's first `bytes` as two equal parts, then times the completion alone. */
async function completeTwoParts(api: Api, file: string, key: string, bytes: number): Promise<Completion> {
  const partSize = Math.ceil(bytes / 2);
  const { uploadId } = await api.createUpload(key, { "upload-length": String(bytes) });
  const ranges = [1, 2].map((n) => partRange(n, partSize, bytes));
  const crcs = await Promise.all(
    ranges.map(async ({ start, length }) => (await checksumRange(file, start, length)).crc),
  );
  const { parts } = await api.signParts(key, uploadId, 1, 2, crcs.map(crc64ToBase64));
  const sent = await Promise.all(
    parts.map(async (part, i) => {
      const body = { file, ...(ranges[i] as { start: number; length: number }) };
      const etag = await putBody(part, body, () => {});
      return { partNumber: part.partNumber, etag, checksum: crc64ToBase64(crcs[i] as bigint) };
    }),
  );
  const whole = combinedCrc(ranges.map((range, i) => ({ crc: crcs[i] as bigint, length: range.length })));
  const started = process.hrtime.bigint();
  const done = await api.complete(key, uploadId, sent, crc64ToBase64(whole), false);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (done.size !== bytes) throw new Error(`the completed object has ${done.size} bytes, not ${bytes}`);
  return { bytes, seconds };
}

/** One round: the whole file in two parts, then two parts of the smallest size. */
export async function completionRound(
  apiUrl: string,
  file: string,
  size: number,
  round: number,
): Promise<{ large: Completion; small: Completion }> {
  const api = new Api(apiUrl, { kind: "none" }, DEFAULT_RETRY);
  const large = await completeTwoParts(api, file, `bench/complete-large-${round}.bin`, size);
  const small = await completeTwoParts(api, file, `bench/complete-small-${round}.bin`, 2 * SMALL_PART);
  return { large, small };
}
