import type { MultipartChecksum } from "../api/checksum-headers";
import { CHECKSUM_ALGORITHM_HEADER, CHECKSUM_TYPE_HEADER, type ObjectChecksum } from "../api/checksums";
import { BadRequest, type ErrorBody } from "../api/http-error";
import { encodeKeyPath } from "../api/object-key";
import type { FunctionUrlEvent, FunctionUrlResult } from "../http/function-url";
import { bodyText } from "../http/json-body";
import { NO_STORE } from "../http/responses";
import { childElements, childTexts, MalformedXml } from "../http/xml-text";
import { CHECKSUM_MEMBERS } from "../s3/checksum-fields";
import type { UploadedPart } from "../s3/multipart";

/**
 * The multipart calls (`POST ?uploads`, `GET ?uploadId`, `POST ?uploadId`) answered in S3's own XML
 * when the caller asks for `application/xml`, and the completion body taken in S3's XML too. S3
 * clients such as `@uppy/aws-s3` 6 then send these calls to the API as they would to S3 (Amazon S3
 * API Reference: CreateMultipartUpload, ListParts, CompleteMultipartUpload), and the function still
 * makes the calls itself, with every check it makes for JSON callers.
 */

function acceptsType(accept: string | undefined, wanted: string): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return type === wanted && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** XML only when asked for and JSON is not: JSON stays the answer for everyone else. */
export function wantsXml(accept: string | undefined): boolean {
  return acceptsType(accept, "application/xml") && !acceptsType(accept, "application/json");
}

export function isXmlBody(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  return type === "application/xml" || type === "text/xml";
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};
const xmlEscape = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

function xmlDocument(
  root: string,
  children: ReadonlyArray<readonly [string, string | number]>,
  extra = "",
): string {
  const elements = children.map(([name, value]) => `<${name}>${xmlEscape(String(value))}</${name}>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NAMESPACE}">${elements}${extra}</${root}>`;
}

/**
 * The completion request with S3's `<CompleteMultipartUpload>` body turned into the JSON body
 * `{ "parts": [...] }`, so that both go through the same checks; a JSON body is left as it is. Only
 * the elements S3 reads are taken; a part number that is not digits becomes null, which the check
 * names, and a body that is not S3's document becomes `null`, "parts is missing".
 */
export function completionAsJson(event: FunctionUrlEvent): FunctionUrlEvent {
  if (!isXmlBody(event.headers["content-type"])) return event;
  return { ...event, body: JSON.stringify(completeBodyFromXml(event)), isBase64Encoded: false };
}

function completeBodyFromXml(event: FunctionUrlEvent): { parts: Array<Record<string, unknown>> } | null {
  const text = bodyText(event);
  if (!/^\s*(<\?xml[^?]*\?>\s*)?<CompleteMultipartUpload[\s>]/.test(text)) return null;
  try {
    const parts = childElements(text, "Part").map((inner) => {
      const number = /^\s*(\d{1,6})\s*$/.exec(childElements(inner, "PartNumber")[0] ?? "")?.[1];
      // `<ChecksumCRC64NVME>` or `<ChecksumSHA256>`, as S3's own body names a part's checksum; both
      // at once name no one algorithm, which the check of the parts then refuses.
      const checksums = Object.entries(CHECKSUM_MEMBERS).flatMap(([algorithm, element]) =>
        childTexts(inner, element).map((value) => ({ checksumAlgorithm: algorithm, checksum: value.trim() })),
      );
      return {
        partNumber: number === undefined ? Number.NaN : Number(number),
        etag: (childTexts(inner, "ETag")[0] ?? "").trim(),
        ...(checksums.length === 1
          ? checksums[0]
          : checksums.length > 1
            ? { checksumAlgorithm: "several" }
            : {}),
      };
    });
    return { parts };
  } catch (error) {
    if (error instanceof MalformedXml)
      throw new BadRequest("MalformedXML", `the completion body is not well-formed XML: ${error.message}`);
    throw error;
  }
}

/** The API's own URL for the key: reading it redirects to the CDN, so it is the object's location. */
export function objectLocation(event: FunctionUrlEvent, key: string): string {
  // Function URLs are HTTPS only and say so in X-Forwarded-Proto (AWS Lambda Developer Guide,
  // "Invoking Lambda function URLs", request payload); a local adapter may serve plain HTTP.
  const scheme = event.headers["x-forwarded-proto"] === "http" ? "http" : "https";
  const host = event.headers.host ?? event.requestContext.domainName ?? "";
  return `${scheme}://${host}/${encodeKeyPath(key)}`;
}

function xmlResponse(
  statusCode: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): FunctionUrlResult {
  return {
    statusCode,
    headers: { "content-type": "application/xml", "cache-control": NO_STORE, ...headers },
    body,
  };
}

/** `<ChecksumCRC64NVME>V</ChecksumCRC64NVME><ChecksumType>T</ChecksumType>`, as S3 writes an object's. */
function checksumElements(checksum: ObjectChecksum | undefined): Array<readonly [string, string]> {
  if (!checksum) return [];
  return [
    [CHECKSUM_MEMBERS[checksum.algorithm], checksum.value],
    ["ChecksumType", checksum.type],
  ];
}

/** The JSON answer of a multipart call, as S3 answers the same call; undefined for calls S3 answers otherwise. */
export function multipartXml(kind: string, status: number, body: unknown): FunctionUrlResult | undefined {
  const b = (body ?? {}) as Record<string, unknown>;
  switch (kind) {
    case "create-multipart": {
      // S3 answers the upload's algorithm and type in headers (CreateMultipartUpload).
      const algorithm = b.checksumAlgorithm as string | undefined;
      const type = b.checksumType as string | undefined;
      return xmlResponse(
        status,
        xmlDocument("InitiateMultipartUploadResult", [
          ["Key", String(b.key)],
          ["UploadId", String(b.uploadId)],
        ]),
        algorithm && type ? { [CHECKSUM_ALGORITHM_HEADER]: algorithm, [CHECKSUM_TYPE_HEADER]: type } : {},
      );
    }
    case "list-parts": {
      const parts = (b.parts ?? []) as readonly UploadedPart[];
      const algorithm = b.checksumAlgorithm as MultipartChecksum["algorithm"] | undefined;
      const elements = parts
        .map((p) => {
          const checksum =
            algorithm && p.checksum
              ? `<${CHECKSUM_MEMBERS[algorithm]}>${xmlEscape(p.checksum)}</${CHECKSUM_MEMBERS[algorithm]}>`
              : "";
          return `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.size}</Size>${checksum}</Part>`;
        })
        .join("");
      return xmlResponse(
        status,
        xmlDocument(
          "ListPartsResult",
          [
            ["Key", String(b.key)],
            ["UploadId", String(b.uploadId)],
            ["IsTruncated", "false"],
            ...(algorithm
              ? [["ChecksumAlgorithm", algorithm] as const, ["ChecksumType", String(b.checksumType)] as const]
              : []),
          ],
          elements,
        ),
      );
    }
    case "complete-multipart":
      return xmlResponse(
        status,
        xmlDocument("CompleteMultipartUploadResult", [
          ["Location", String(b.location)],
          ["Key", String(b.key)],
          ["ETag", String(b.etag)],
          ...checksumElements(b.checksum as ObjectChecksum | undefined),
        ]),
      );
    default:
      return undefined;
  }
}

/**
 * An error answer in S3's shape (`<Error><Code>…</Code><Message>…</Message></Error>`, Amazon S3 API
 * Reference, "Error responses") for a caller that asked for XML, so that an S3 client reports the
 * API's code rather than a bare status; the status and headers stay as they are.
 */
export function asXmlError(result: FunctionUrlResult): FunctionUrlResult {
  if (result.statusCode < 400 || !result.body) return result;
  const { error } = JSON.parse(result.body) as ErrorBody;
  return {
    ...result,
    headers: { ...result.headers, "content-type": "application/xml" },
    body: xmlDocument("Error", [
      ["Code", error.code],
      ["Message", error.message],
    ]).replace(` xmlns="${NAMESPACE}"`, ""),
  };
}
