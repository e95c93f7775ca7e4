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

export function unescapeXml(text: string): string {
  return text.replace(
    /&(lt|gt|amp|apos|quot|#(\d+)|#x([0-9a-f]+));/gi,
    (_m, name: string, dec?: string, hex?: string) => {
      if (dec) return String.fromCodePoint(Number(dec));
      if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
      return ({ lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' } as Record<string, string>)[name] ?? "";
    },
  );
}

/** The text of each `<name>…</name>` directly inside `xml`, unescaped (the small request bodies S3 takes). */
export function childTexts(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) =>
    unescapeXml(m[1] ?? ""),
  );
}
