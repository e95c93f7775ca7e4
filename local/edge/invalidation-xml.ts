import { childElements, childTexts, MalformedXml } from "../../functions/http/xml-text";
import { element } from "../http/xml";

/** An error of CloudFront's API: its HTTP status, code and message. */
export class CloudFrontApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface InvalidationBatch {
  readonly callerReference: string;
  readonly paths: readonly string[];
}

export interface Invalidation {
  readonly id: string;
  readonly createTime: Date;
  readonly batch: InvalidationBatch;
}

const XMLNS = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
/** CloudFront's longest invalidation path ("Quotas on invalidations"). */
const MAX_PATH_CHARS = 4000;

const invalidPaths = () =>
  new CloudFrontApiError(
    400,
    "InvalidArgument",
    "Your request contains one or more invalid invalidation paths.",
  );

/**
 * The CreateInvalidation body (CloudFront API Reference, CreateInvalidation, "Request Syntax"):
 * `<InvalidationBatch xmlns=…><Paths><Quantity>N</Quantity><Items><Path>…</Path></Items></Paths>
 * <CallerReference>…</CallerReference></InvalidationBatch>`. Each path starts with `/`, and `*`
 * may only be its last character ("Specifying the files to invalidate").
 */
export function parseInvalidationBatch(body: Buffer): InvalidationBatch {
  const text = body.toString("utf8");
  if (text.trim() === "")
    throw new CloudFrontApiError(
      400,
      "MissingBody",
      "This operation requires a body. Ensure that the body is present and the Content-Type header is set.",
    );
  const root = /<InvalidationBatch(?:\s[^>]*)?>([\s\S]*)<\/InvalidationBatch>/.exec(text)?.[1];
  const paths = root === undefined ? undefined : childElements(root, "Paths")[0];
  if (root === undefined || paths === undefined)
    throw new CloudFrontApiError(
      400,
      "MalformedInput",
      "Invalid XML document: InvalidationBatch with Paths expected.",
    );
  try {
    const quantity = childTexts(paths, "Quantity")[0];
    const items = childElements(paths, "Items")[0] ?? "";
    const list = childTexts(items, "Path");
    const callerReference = childTexts(root, "CallerReference")[0] ?? "";
    if (quantity === undefined || !/^\d+$/.test(quantity.trim()))
      throw new CloudFrontApiError(
        400,
        "MalformedInput",
        "Paths must have a Quantity that is a whole number.",
      );
    if (Number(quantity) !== list.length)
      throw new CloudFrontApiError(
        400,
        "InconsistentQuantities",
        "The value of Quantity and the size of Items don't match.",
      );
    if (callerReference === "")
      throw new CloudFrontApiError(400, "InvalidArgument", "The CallerReference must be a non-empty string.");
    if (
      list.length === 0 ||
      list.some((p) => !p.startsWith("/") || p.length > MAX_PATH_CHARS || p.slice(0, -1).includes("*"))
    )
      throw invalidPaths();
    return { callerReference, paths: list };
  } catch (error) {
    if (error instanceof MalformedXml)
      throw new CloudFrontApiError(400, "MalformedInput", `Invalid XML document: ${error.message}.`);
    throw error;
  }
}

/** The Invalidation element CreateInvalidation and GetInvalidation answer with. */
export function invalidationXml(invalidation: Invalidation, status: "InProgress" | "Completed"): string {
  const { batch } = invalidation;
  const paths = batch.paths.map((p) => element("Path", p)).join("");
  return (
    `<?xml version="1.0"?>\n<Invalidation xmlns="${XMLNS}">` +
    element("Id", invalidation.id) +
    element("Status", status) +
    element("CreateTime", invalidation.createTime.toISOString()) +
    `<InvalidationBatch><Paths>${element("Quantity", batch.paths.length)}<Items>${paths}</Items></Paths>` +
    `${element("CallerReference", batch.callerReference)}</InvalidationBatch></Invalidation>`
  );
}
