import { element, sendXml } from "../../http/xml";
import { elementOf } from "../checksums/algorithms";
import type { ObjectVersion } from "../store/object-store";
import { checksumElements } from "./checksum-headers";
import { sendS3Error } from "./errors";
import { readableVersion, versionIdParam } from "./objects";
import { header, httpDate, type S3Call, type StorageContext } from "./request";

const ATTRIBUTES = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"] as const;
type Attribute = (typeof ATTRIBUTES)[number];

/** A multipart object's ETag ends in `-N`, N its number of parts. */
function partsCount(version: ObjectVersion): number | undefined {
  const match = /-(\d+)"$/.exec(version.etag);
  return match ? Number(match[1]) : undefined;
}

/** `x-amz-max-parts` / `x-amz-part-number-marker`: a whole number, or S3's 400 (then undefined). */
function wholeNumber(call: S3Call, name: string, fallback: number): number | undefined {
  const text = header(call.req, name);
  if (text === undefined) return fallback;
  if (/^\d+$/.test(text)) return Number(text);
  sendS3Error(call.res, "InvalidArgument", {
    message: `${name} must be a whole number`,
    details: { ArgumentName: name, ArgumentValue: text },
  });
  return undefined;
}

/**
 * `<ObjectParts>` of a multipart object: its part count, and for a COMPOSITE checksum each part's
 * size and checksum, paged by `x-amz-max-parts` and `x-amz-part-number-marker`. A FULL_OBJECT object
 * shows only the count, as S3 answered in localstack's AWS-validated snapshots.
 */
function objectParts(version: ObjectVersion, count: number, maxParts: number, marker: number): string {
  const checksum = version.checksum;
  if (checksum?.type !== "COMPOSITE") return `<ObjectParts>${element("PartsCount", count)}</ObjectParts>`;
  const parts = version.files.map((file, i) => ({ number: i + 1, file })).filter((p) => p.number > marker);
  const page = parts.slice(0, Math.min(maxParts, 1000));
  const truncated = parts.length > page.length;
  return `<ObjectParts>${
    element("PartsCount", count) +
    element("PartNumberMarker", marker) +
    element("NextPartNumberMarker", page.at(-1)?.number ?? marker) +
    element("MaxParts", maxParts) +
    element("IsTruncated", truncated) +
    page
      .map(
        (p) =>
          `<Part>${element("PartNumber", p.number)}${element("Size", p.file.size)}${
            p.file.checksum === undefined ? "" : element(elementOf(checksum.algorithm), p.file.checksum)
          }</Part>`,
      )
      .join("")
  }</ObjectParts>`;
}

/**
 * GetObjectAttributes (`GET /bucket/key?attributes`, Amazon S3 API Reference): the attributes named
 * in `x-amz-object-attributes` and no others ("Fields that you do not specify are not returned"):
 * the ETag without quotes, the checksum (a COMPOSITE one without its `-N`), the parts of a multipart
 * object, the storage class and the size.
 */
export async function getObjectAttributes(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res } = call;
  req.resume();
  const versionId = versionIdParam(call);
  if (versionId === "answered") return;
  const asked = (header(req, "x-amz-object-attributes") ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  if (asked.length === 0) {
    sendS3Error(res, "InvalidArgument", {
      message:
        "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
      details: { ArgumentName: "x-amz-object-attributes", ArgumentValue: "" },
    });
    return;
  }
  const unknown = asked.find((a) => !(ATTRIBUTES as readonly string[]).includes(a));
  if (unknown !== undefined) {
    sendS3Error(res, "InvalidArgument", {
      message: "Invalid attribute name specified.",
      details: { ArgumentName: "x-amz-object-attributes", ArgumentValue: unknown },
    });
    return;
  }
  const maxParts = wholeNumber(call, "x-amz-max-parts", 1000);
  if (maxParts === undefined) return;
  const marker = wholeNumber(call, "x-amz-part-number-marker", 0);
  if (marker === undefined) return;
  const version = readableVersion(ctx, call, versionId);
  if (!version) return;
  const wants = (a: Attribute) => asked.includes(a);
  const count = partsCount(version);
  sendXml(
    res,
    "GetObjectAttributesResponse",
    (wants("ETag") ? element("ETag", version.etag.replace(/"/g, "")) : "") +
      (wants("Checksum") && version.checksum
        ? `<Checksum>${checksumElements(version.checksum, true)}</Checksum>`
        : "") +
      (wants("ObjectParts") && count !== undefined ? objectParts(version, count, maxParts, marker) : "") +
      (wants("StorageClass") ? element("StorageClass", "STANDARD") : "") +
      (wants("ObjectSize") ? element("ObjectSize", version.size) : ""),
    { "last-modified": httpDate(version.lastModified), "x-amz-version-id": version.versionId },
  );
}
