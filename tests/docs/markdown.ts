import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

// Just enough of Markdown to check the docs: headings and their GitHub anchors, links outside code,
// and fenced code blocks under a heading. A full parser (remark, markdown-it) would be a dependency
// for three regular expressions; the documents are ours, so their shapes are known.

export interface Heading {
  readonly level: number;
  readonly text: string;
  /** The line (0-based) the heading is on. */
  readonly line: number;
}

export interface Link {
  readonly target: string;
  readonly line: number;
}

export interface CodeBlock {
  /** The info string after the opening fence: `sh`, `mermaid`, or "". */
  readonly info: string;
  readonly lines: readonly string[];
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
// `[text](target)` and `![alt](target)`, with an optional title; the text holds no `]`.
const LINK = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

type LineKind = "text" | "open" | "code" | "close";

/** Each line of the document with its place: prose, a fence that opens or closes code, or code. */
function classify(markdown: string): Array<{ text: string; kind: LineKind; info: string }> {
  const out: Array<{ text: string; kind: LineKind; info: string }> = [];
  let open: string | undefined;
  for (const text of markdown.split("\n")) {
    const fence = FENCE.exec(text);
    if (open === undefined) {
      if (fence?.[1]) open = fence[1];
      out.push({ text, kind: fence?.[1] ? "open" : "text", info: fence?.[2] ?? "" });
      continue;
    }
    const closes = fence?.[1] !== undefined && fence[1][0] === open[0] && fence[1].length >= open.length;
    if (closes && !fence?.[2]) open = undefined;
    out.push({ text, kind: open === undefined ? "close" : "code", info: "" });
  }
  return out;
}

export function headings(markdown: string): Heading[] {
  const found: Heading[] = [];
  classify(markdown).forEach(({ text, kind }, line) => {
    const match = kind === "text" ? HEADING.exec(text) : null;
    if (match?.[1] && match[2] !== undefined) found.push({ level: match[1].length, text: match[2], line });
  });
  return found;
}

/**
 * The anchor GitHub gives a heading (github-slugger): the rendered text in lower case, everything
 * but letters, marks, digits, connector punctuation (`_`), `-` and spaces removed, spaces made `-`.
 */
export function slug(headingText: string): string {
  const rendered = headingText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "");
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every heading's anchor in document order; a repeated one gets `-1`, `-2`, … as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const heading of headings(markdown)) {
    const base = slug(heading.text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** Links outside fenced code and inline code spans. */
export function links(markdown: string): Link[] {
  const found: Link[] = [];
  classify(markdown).forEach(({ text, kind }, line) => {
    if (kind !== "text") return;
    const prose = text.replace(/(`+)[^`]*?\1/g, "");
    for (const match of prose.matchAll(LINK)) {
      if (match[1]) found.push({ target: match[1], line });
    }
  });
  return found;
}

/** Whether a link leaves the repository (a URL with a scheme, or protocol-relative). */
export function isExternal(target: string): boolean {
  return SCHEME.test(target) || target.startsWith("//");
}

/**
 * Why a relative link from `fromFile` does not resolve, or undefined when it does: the path must
 * name a file or folder, and an anchor a heading of the Markdown file it points into.
 */
export function brokenLink(fromFile: string, target: string): string | undefined {
  const hash = target.indexOf("#");
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file =
    pathPart === "" ? fromFile : path.resolve(path.dirname(fromFile), decodeURIComponent(pathPart));
  if (!existsSync(file)) return `${pathPart} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith(".md"))
    return `#${anchor} points into a non-Markdown file`;
  if (!anchors(readFileSync(file, "utf8")).has(anchor)) {
    return `${path.basename(file)} has no heading with the anchor #${anchor}`;
  }
  return undefined;
}

/**
 * The fenced blocks of the section under the heading with this text: from the heading to the next
 * heading of the same level or higher.
 */
export function blocksUnder(markdown: string, headingText: string): CodeBlock[] {
  const all = headings(markdown);
  const start = all.find((h) => h.text === headingText);
  if (!start) return [];
  const end =
    all.find((h) => h.line > start.line && h.level <= start.level)?.line ?? Number.POSITIVE_INFINITY;
  const blocks: CodeBlock[] = [];
  let current: { info: string; lines: string[] } | undefined;
  classify(markdown).forEach(({ text, kind, info }, line) => {
    if (line <= start.line || line >= end) return;
    if (kind === "open") {
      current = { info, lines: [] };
      blocks.push(current);
    } else if (kind === "code") {
      current?.lines.push(text);
    }
  });
  return blocks;
}

/**
 * The shell commands of a block: a line ending in a backslash and the lines it continues make one command
 * (kept as written, for the shell to join), blank lines and whole-line comments are left out.
 * Trailing comments stay: the shell drops them.
 */
export function shellCommands(block: CodeBlock): string[] {
  const commands: string[] = [];
  let pending = "";
  for (const line of block.lines) {
    if (line.trimEnd().endsWith("\\")) {
      pending += `${line}\n`;
      continue;
    }
    const command = pending + line;
    pending = "";
    const trimmed = command.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    commands.push(trimmed);
  }
  if (pending.trim() !== "") commands.push(pending.trim());
  return commands;
}
