import type { ServerResponse } from "node:http";

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] ?? c,
  );
}

/** `<name>escaped text</name>`. */
export function element(name: string, text: string | number | boolean): string {
  return `<${name}>${escapeXml(String(text))}</${name}>`;
}

/**
 * An error in the XML shape S3 and CloudFront use. `details` adds elements after the message, as
 * S3 adds `HeadersNotSigned` or `Key`.
 */
export function sendXmlError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
  details: Record<string, string> = {},
): void {
  const extra = Object.entries(details)
    .map(([name, text]) => element(name, text))
    .join("");
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${extra}</Error>`;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** A successful S3 XML answer: `inner` holds already-escaped child elements. */
export function sendXml(
  res: ServerResponse,
  rootElement: string,
  inner: string,
  extraHeaders: Record<string, string> = {},
): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${rootElement} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${rootElement}>`;
  res.writeHead(200, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}
