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
    const start = xml.indexOf(open, from);
    if (start === -1) return found;
    const end = xml.indexOf(close, start + open.length);
    if (end === -1) return found;
    found.push(xml.slice(start + open.length, end));
    from = end + close.length;
  }
}

/** The unescaped text of each `<name>…</name>` leaf element in `xml`. */
export function childTexts(xml: string, name: string): string[] {
  return childElements(xml, name).map(unescapeXml);
}
