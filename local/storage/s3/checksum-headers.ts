import type { IncomingMessage } from "node:http";
import { element } from "../../http/xml";
import {
  ALGORITHMS,
  type Algorithm,
  elementOf,
  headerOf,
  isAlgorithm,
  isChecksumValue,
} from "../checksums/algorithms";
import type { StoredChecksum } from "../store/versions";
import type { S3ErrorCode } from "./errors";

/**
 * The checksum headers of a request as S3 reads them, with its answers byte for byte where they
 * were recorded against AWS (localstack's AWS-validated snapshots of tests/aws/services/s3/test_s3.py
 * and openstack/swift's test/s3api/test_object_checksums.py, which runs against AWS too).
 */
export interface GivenChecksum {
  readonly algorithm: Algorithm;
  readonly value: string;
}

export interface ChecksumRefusal {
  readonly code: S3ErrorCode;
  readonly message: string;
}

/** `x-amz-checksum-*` names that carry no value of an algorithm. */
const NOT_VALUES = new Set(["x-amz-checksum-mode", "x-amz-checksum-algorithm", "x-amz-checksum-type"]);

const invalid = (header: string): ChecksumRefusal => ({
  code: "InvalidRequest",
  message: `Value for ${header} header is invalid.`,
});

/**
 * The one `x-amz-checksum-<algorithm>` value of a PutObject, UploadPart or completion, if any, or
 * S3's refusal: two of them, a malformed value, or an `x-amz-sdk-checksum-algorithm` that names
 * another algorithm (or none was sent). A checksum header of an algorithm this storage does not
 * compute (SHA512, XXHASH64, …) is refused rather than ignored: it would otherwise store bytes no
 * one checked.
 */
export function givenChecksum(req: IncomingMessage): GivenChecksum | ChecksumRefusal | undefined {
  const names = Object.keys(req.headers).filter(
    (name) => name.startsWith("x-amz-checksum-") && !NOT_VALUES.has(name),
  );
  if (names.length > 1) {
    return {
      code: "InvalidRequest",
      message: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    };
  }
  const sdk = req.headers["x-amz-sdk-checksum-algorithm"];
  const [name] = names;
  if (name === undefined) {
    if (sdk !== undefined && req.headers["x-amz-trailer"] === undefined) {
      return {
        code: "InvalidRequest",
        message:
          "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
      };
    }
    return undefined;
  }
  const algorithm = name.slice("x-amz-checksum-".length).toUpperCase();
  if (!isAlgorithm(algorithm)) {
    return { code: "NotImplemented", message: `This storage does not compute ${name}.` };
  }
  const value = req.headers[name];
  if (typeof value !== "string" || !isChecksumValue(algorithm, value)) return invalid(name);
  if (sdk !== undefined && String(sdk).toUpperCase() !== algorithm) {
    return invalid("x-amz-sdk-checksum-algorithm");
  }
  return { algorithm, value };
}

export function isRefusal(value: GivenChecksum | ChecksumRefusal | undefined): value is ChecksumRefusal {
  return value !== undefined && "code" in value;
}

/** S3's BadDigest for a body whose checksum is not the one given (algorithm upper case). */
export function mismatch(algorithm: Algorithm): ChecksumRefusal {
  return {
    code: "BadDigest",
    message: `The ${algorithm} you specified did not match the calculated checksum.`,
  };
}

/** The response headers that report a checksum: the algorithm's header and the type. */
export function checksumHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [headerOf(checksum.algorithm)]: checksum.value, "x-amz-checksum-type": checksum.type };
}

/**
 * `<ChecksumCRC64NVME>…</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>` as completion
 * and copy answers carry them; `withoutParts` drops a COMPOSITE value's `-N`, as GetObjectAttributes
 * shows it.
 */
export function checksumElements(checksum: StoredChecksum | undefined, withoutParts = false): string {
  if (!checksum) return "";
  const value = withoutParts ? checksum.value.replace(/-\d+$/, "") : checksum.value;
  return element(elementOf(checksum.algorithm), value) + element("ChecksumType", checksum.type);
}

/** `<ChecksumAlgorithm>…</ChecksumAlgorithm><ChecksumType>…</ChecksumType>`, as listings show a checksum. */
export function listedChecksum(checksum: StoredChecksum | undefined): string {
  if (!checksum) return "";
  return element("ChecksumAlgorithm", checksum.algorithm) + element("ChecksumType", checksum.type);
}

/** "Checksum algorithm provided is unsupported. Please try again with any of the valid types: […]". */
export const UNSUPPORTED_ALGORITHM = `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${ALGORITHMS.join(", ")}]`;
