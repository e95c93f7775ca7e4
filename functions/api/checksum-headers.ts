import {
  CHECKSUM_ALGORITHM_HEADER,
  CHECKSUM_ALGORITHMS,
  CHECKSUM_HEADERS,
  CHECKSUM_TYPE_HEADER,
  type ChecksumAlgorithm,
  type ChecksumType,
  isChecksumValue,
  MULTIPART_CHECKSUM_TYPE,
} from "./checksums";
import { BadRequest } from "./http-error";

/** The checksum a client declares for the bytes it is about to send, which S3 verifies. */
export interface DeclaredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly value: string;
}

/** The algorithm and type a multipart upload is created with. */
export interface MultipartChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
}

export const CHECKSUM_REQUIRED_MESSAGE =
  "this store requires x-amz-checksum-crc64nvme or x-amz-checksum-sha256 on every write";

/** What a value of each algorithm is, for the message refusing a malformed one. */
const VALUE_SHAPE: Readonly<Record<ChecksumAlgorithm, string>> = {
  CRC64NVME: "the base64 of the 8-byte CRC64NVME",
  SHA256: "the base64 of the 32-byte SHA-256",
};

/** `x-amz-checksum-*` headers that are not values: how S3 is to compute or return a checksum. */
const NOT_VALUES: ReadonlySet<string> = new Set([
  CHECKSUM_ALGORITHM_HEADER,
  CHECKSUM_TYPE_HEADER,
  "x-amz-checksum-mode",
]);
const STORE_HEADERS: ReadonlySet<string> = new Set(Object.values(CHECKSUM_HEADERS));

type Headers = Readonly<Record<string, string | undefined>>;

/**
 * The request's one checksum header, its algorithm and raw text. A checksum of another algorithm
 * (`x-amz-checksum-crc32`, say) is refused rather than ignored: curl sends it on to S3 with the
 * redirected request, where an `x-amz-*` header that is not signed is refused (HeadersNotSigned).
 */
function checksumHeader(headers: Headers): { algorithm: ChecksumAlgorithm; raw: string } | undefined {
  const foreign = Object.keys(headers).find(
    (name) => name.startsWith("x-amz-checksum-") && !NOT_VALUES.has(name) && !STORE_HEADERS.has(name),
  );
  if (foreign !== undefined) {
    throw new BadRequest(
      "InvalidChecksum",
      `this store takes x-amz-checksum-crc64nvme or x-amz-checksum-sha256, not ${foreign}`,
    );
  }
  const given = CHECKSUM_ALGORITHMS.filter((a) => headers[CHECKSUM_HEADERS[a]] !== undefined);
  if (given.length > 1) {
    throw new BadRequest(
      "InvalidChecksum",
      "send one checksum header, x-amz-checksum-crc64nvme or x-amz-checksum-sha256, not both",
    );
  }
  const algorithm = given[0];
  return algorithm === undefined ? undefined : { algorithm, raw: headers[CHECKSUM_HEADERS[algorithm]] ?? "" };
}

function checkedValue(algorithm: ChecksumAlgorithm, raw: string, what: string): string {
  const value = raw.trim();
  if (!isChecksumValue(algorithm, value)) {
    throw new BadRequest(
      "InvalidChecksum",
      `${CHECKSUM_HEADERS[algorithm]} must be ${VALUE_SHAPE[algorithm]} of ${what}`,
    );
  }
  return value;
}

/** A single PUT's (or one part's) checksum; 400 ChecksumRequired when the store requires one and there is none. */
export function declaredChecksum(headers: Headers, required: boolean): DeclaredChecksum | undefined {
  const header = checksumHeader(headers);
  if (header === undefined) {
    if (required) throw new BadRequest("ChecksumRequired", CHECKSUM_REQUIRED_MESSAGE);
    return undefined;
  }
  return { algorithm: header.algorithm, value: checkedValue(header.algorithm, header.raw, "the bytes sent") };
}

/**
 * The checksums of parts `first`..`last`, one value per part, comma-separated and in order, in one
 * header (function URLs also join a header sent several times with commas).
 */
export function declaredPartChecksums(
  headers: Headers,
  first: number,
  last: number,
  required: boolean,
): DeclaredChecksum[] | undefined {
  const header = checksumHeader(headers);
  if (header === undefined) {
    if (required) throw new BadRequest("ChecksumRequired", CHECKSUM_REQUIRED_MESSAGE);
    return undefined;
  }
  const values = header.raw.split(",");
  const count = last - first + 1;
  if (values.length !== count) {
    throw new BadRequest(
      "InvalidChecksum",
      `${CHECKSUM_HEADERS[header.algorithm]} must hold one value per part asked for (${count}, parts ${first}-${last}), comma-separated; it holds ${values.length}`,
    );
  }
  return values.map((raw, i) => ({
    algorithm: header.algorithm,
    value: checkedValue(header.algorithm, raw, `part ${first + i}`),
  }));
}

/**
 * The checksum a multipart upload is created with: `x-amz-checksum-algorithm`, with the only type S3
 * allows for it ("Checking object integrity for data uploads in Amazon S3", the multipart table);
 * CRC64NVME when none is named and the store requires checksums; none otherwise.
 */
export function multipartChecksum(headers: Headers, required: boolean): MultipartChecksum | undefined {
  const named = headers[CHECKSUM_ALGORITHM_HEADER]?.trim().toUpperCase();
  const algorithm = named === undefined ? (required ? "CRC64NVME" : undefined) : named;
  if (algorithm === undefined) return undefined;
  if (algorithm !== "CRC64NVME" && algorithm !== "SHA256") {
    throw new BadRequest(
      "InvalidChecksum",
      `x-amz-checksum-algorithm must be CRC64NVME or SHA256, got ${JSON.stringify(headers[CHECKSUM_ALGORITHM_HEADER])}`,
    );
  }
  const type = MULTIPART_CHECKSUM_TYPE[algorithm];
  const asked = headers[CHECKSUM_TYPE_HEADER]?.trim().toUpperCase();
  if (asked !== undefined && asked !== type) {
    throw new BadRequest(
      "InvalidChecksum",
      `a ${algorithm} multipart upload is ${type}; x-amz-checksum-type ${JSON.stringify(headers[CHECKSUM_TYPE_HEADER])} is not possible`,
    );
  }
  return { algorithm, type };
}

/**
 * The whole object's checksum sent with a completion: a FULL_OBJECT value, or a COMPOSITE one,
 * which S3 takes with or without its `-N` part count.
 */
export function completionChecksum(headers: Headers): DeclaredChecksum | undefined {
  const header = checksumHeader(headers);
  if (header === undefined) return undefined;
  const composite = /^(.*)-(\d{1,5})$/.exec(header.raw.trim());
  if (header.algorithm === "SHA256" && composite) {
    checkedValue("SHA256", composite[1] ?? "", "the parts' SHA-256 values, with or without -N");
    return { algorithm: "SHA256", value: header.raw.trim() };
  }
  return {
    algorithm: header.algorithm,
    value: checkedValue(header.algorithm, header.raw, "the whole object"),
  };
}
