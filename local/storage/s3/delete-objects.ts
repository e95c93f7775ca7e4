import { childElements, childTexts } from "../../../functions/http/xml-text";
import { element, sendXml } from "../../http/xml";
import { isVersionId } from "../store/object-store";
import { checkBodyIntegrity } from "./checksums";
import { s3Message, sendS3Error } from "./errors";
import {
  fromXml,
  MAX_KEY_BYTES,
  readXmlBody,
  type S3Call,
  type StorageContext,
  xmlDocument,
} from "./request";

/** "The request can contain a list of up to 1,000 keys" (DeleteObjects). */
const MAX_OBJECTS = 1000;

/**
 * DeleteObjects (`POST /bucket?delete`): each key gets what DeleteObject would do to it, in
 * order; a key that does not exist is reported deleted, as S3 reports it. Quiet mode lists only
 * the errors.
 */
export async function deleteObjects(ctx: StorageContext, call: S3Call): Promise<void> {
  const { req, res } = call;
  const body = await readXmlBody(call, 8 * 1024 * 1024);
  if (body === undefined) return;
  const integrity = checkBodyIntegrity(req, body);
  if (integrity) {
    sendS3Error(res, integrity.code, { message: integrity.message });
    return;
  }
  const xml = xmlDocument(res, body);
  if (xml === undefined) return;
  // Each <Object> is taken as written and only its leaves are unescaped: unescaping the object and
  // then its key would turn a key named `&amp;` into `&` and delete another key.
  const parsed = fromXml(res, () => ({
    objects: childElements(xml, "Object").map((o) => ({
      key: childTexts(o, "Key")[0],
      versionId: childTexts(o, "VersionId")[0],
    })),
    quiet: childTexts(xml, "Quiet")[0]?.trim() === "true",
  }));
  if (parsed === undefined) return;
  const { objects, quiet } = parsed;
  if (
    !xml.includes("<Delete") ||
    objects.length === 0 ||
    objects.length > MAX_OBJECTS ||
    objects.some((o) => !o.key)
  ) {
    sendS3Error(res, "MalformedXML");
    return;
  }
  const results: string[] = [];
  for (const { key = "", versionId } of objects) {
    const version = versionId === undefined ? "" : element("VersionId", versionId);
    const error = (code: string, message: string) =>
      `<Error>${element("Key", key)}${version}${element("Code", code)}${element("Message", message)}</Error>`;
    if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
      // Each key gets what DeleteObject would answer it, and nothing is stored for it.
      results.push(
        `<Error>${element("Key", key)}${version}${element("Code", "KeyTooLongError")}${element("Message", s3Message("KeyTooLongError"))}</Error>`,
      );
      continue;
    }
    try {
      if (versionId === undefined) {
        const marker = await ctx.store.addDeleteMarker(key);
        if (!quiet)
          results.push(
            `<Deleted>${element("Key", key)}${element("DeleteMarker", true)}${element("DeleteMarkerVersionId", marker.versionId)}</Deleted>`,
          );
      } else if (!isVersionId(versionId)) {
        results.push(error("NoSuchVersion", "The specified version does not exist."));
      } else {
        const removed = await ctx.store.deleteVersion(key, versionId);
        if (!quiet)
          results.push(
            `<Deleted>${element("Key", key)}${version}${
              removed?.deleteMarker
                ? element("DeleteMarker", true) + element("DeleteMarkerVersionId", versionId)
                : ""
            }</Deleted>`,
          );
      }
    } catch (failure) {
      ctx.log?.({
        component: "storage",
        level: "error",
        message: "delete failed",
        key,
        error: String(failure),
      });
      results.push(error("InternalError", "We encountered an internal error. Please try again."));
    }
  }
  sendXml(res, "DeleteResult", results.join(""));
}
