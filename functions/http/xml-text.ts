/**
 * Reading the small XML bodies S3 callers send (CompleteMultipartUpload, DeleteObjects): the
 * elements' inner text and XML's escapes. Hand-written rather than an XML parser package because
 * only named leaf elements are read, and the function bundle loads this on its import.
 */

/** Not well-formed XML: S3 answers such a body with 400 MalformedXML. */
export class MalformedXml extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedXml";
  }
}

const ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };

/** XML 1.0's `Char` production: what a character reference may name (no NUL, no lone surrogate). */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Text with XML's five entities and its character references replaced, once. An undefined entity
 * or a reference to a code point XML does not allow (a surrogate half, which would otherwise become
 * a string no UTF-8 key can equal) makes the document malformed (XML 1.0, "Character References").
 */
export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (_whole, name: string) => {
    if (!name.startsWith("#")) {
      const entity = ENTITIES[name];
      if (entity === undefined) throw new MalformedXml(`the entity &${name}; is not defined`);
      return entity;
    }
    const code = /^#x/i.test(name) ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    if (!isXmlChar(code)) throw new MalformedXml(`&${name}; is not a character XML allows`);
    return String.fromCodePoint(code);
  });
}

const CDATA_OPEN = "<![CDATA[";
const CDATA_CLOSE = "]]>";

/** Where the CDATA section opening at `start` ends (just past its `]]>`); unterminated is malformed. */
function cdataEnd(xml: string, start: number): number {
  const end = xml.indexOf(CDATA_CLOSE, start + CDATA_OPEN.length);
  if (end === -1) throw new MalformedXml("a CDATA section is not closed");
  return end + CDATA_CLOSE.length;
}

/**
 * The first `needle` at or after `from` that is not inside a CDATA section (whose text is
 * character data, never markup: XML 1.0, "CDATA Sections"), or -1.
 */
function indexOutsideCdata(xml: string, needle: string, from: number): number {
  for (let at = from; ; ) {
    const found = xml.indexOf(needle, at);
    const cdata = xml.indexOf(CDATA_OPEN, at);
    if (cdata === -1 || found === -1 || found < cdata) return found;
    at = cdataEnd(xml, cdata);
  }
}

/**
 * The inner text, as written, of each `<name>…</name>` in `xml`, in one forward pass. A regular
 * expression with a lazy `[\s\S]*?` instead scans to the end of the body again from every opening
 * tag left unclosed, so a body of many bare `<Part>` tags took time in the square of its size.
 */
export function childElements(xml: string, name: string): string[] {
  const open = `<${name}>`;
  const close = `</${name}>`;
  const found: string[] = [];
  for (let from = 0; ; ) {
    const start = indexOutsideCdata(xml, open, from);
    if (start === -1) return found;
    const end = indexOutsideCdata(xml, close, start + open.length);
    if (end === -1) return found;
    found.push(xml.slice(start + open.length, end));
    from = end + close.length;
  }
}

/** The first character in `text` that XML 1.0 does not allow (U+0001, U+FFFE, U+FFFF, …), if any. */
export function disallowedXmlChar(text: string): number | undefined {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (!isXmlChar(code)) return code;
  }
  return undefined;
}

/**
 * A leaf's text as XML reads it: CDATA sections taken literally, escapes replaced elsewhere, and
 * a character XML does not allow, raw or in a CDATA section, makes the document malformed.
 */
function leafText(inner: string): string {
  const bad = disallowedXmlChar(inner);
  if (bad !== undefined) {
    throw new MalformedXml(
      `U+${bad.toString(16).toUpperCase().padStart(4, "0")} is not a character XML allows`,
    );
  }
  let text = "";
  for (let at = 0; ; ) {
    const cdata = inner.indexOf(CDATA_OPEN, at);
    if (cdata === -1) return text + unescapeXml(inner.slice(at));
    const end = cdataEnd(inner, cdata);
    text +=
      unescapeXml(inner.slice(at, cdata)) + inner.slice(cdata + CDATA_OPEN.length, end - CDATA_CLOSE.length);
    at = end;
  }
}

/** The text of each `<name>…</name>` leaf element in `xml`. */
export function childTexts(xml: string, name: string): string[] {
  return childElements(xml, name).map(leafText);
}
