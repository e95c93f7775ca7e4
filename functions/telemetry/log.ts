export type LogLevel = "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * One JSON object per line on stdout. Written with `process.stdout.write` rather than `console.log`
 * because the Node.js runtime prefixes console output with a timestamp and request ID in its text
 * log format, which would make the line unparseable as JSON.
 *
 * Every request writes one line, so the line is built by hand rather than by spreading the fields
 * into a new object for `JSON.stringify`, and the timestamp is formatted once per millisecond: the
 * generic way cost an eighth of a warm GET's time (`npm run bench`). The output is the same JSON,
 * except that fields named time, level or message do not replace the line's own.
 */
export function jsonLogger(write: (line: string, level: LogLevel) => void = stdoutWriter): Logger {
  let stampedAt = Number.NaN;
  let stamp = "";
  return {
    log(level, message, fields) {
      const now = Date.now();
      if (now !== stampedAt) {
        stampedAt = now;
        stamp = new Date(now).toISOString();
      }
      let line = `{"time":"${stamp}","level":"${level}","message":${jsonString(message)}`;
      if (fields) {
        for (const name in fields) {
          if (name === "time" || name === "level" || name === "message") continue;
          const value = jsonValue(fields[name]);
          if (value !== undefined) line += `,${jsonString(name)}:${value}`;
        }
      }
      write(`${line}}\n`, level);
    },
  };
}

/**
 * A value that is JSON text already, written into the line as it is: for the parts of the request
 * line that are the same on every request, which would otherwise go through JSON.stringify each time.
 */
export class JsonText {
  constructor(readonly text: string) {}

  /** For a logger of the caller's own that writes its fields with JSON.stringify. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

const FLUSH_BYTES = 64 * 1024;

/** One for every logger of the process, so their lines stay in order and share one exit hook. */
let stdout: ((line: string, level: LogLevel) => void) | undefined;

function stdoutWriter(line: string, level: LogLevel): void {
  stdout ??= deferredWriter((text) => process.stdout.write(text));
  stdout(line, level);
}

/**
 * Writes lines once the current turn of the event loop is over, so a request's answer does not wait
 * for the write to stdout (a system call that costs more than building the line), and lines of
 * concurrent requests go out in one write. Lambda runs the event loop between sending a response and
 * asking for the next event, so the lines leave before the environment is frozen; errors are written
 * at once, and whatever is pending at exit too.
 */
export function deferredWriter(sink: (text: string) => void): (line: string, level: LogLevel) => void {
  let pending = "";
  let scheduled = false;
  let onExit = false;
  const flush = () => {
    scheduled = false;
    if (pending === "") return;
    const out = pending;
    pending = "";
    sink(out);
  };
  return (line, level) => {
    pending += line;
    if (level === "error" || pending.length >= FLUSH_BYTES) {
      flush();
      return;
    }
    if (!onExit) {
      onExit = true;
      process.once("exit", flush);
    }
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

/** Whether JSON.stringify would escape something: a quote, a backslash, a control or a surrogate. */
function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return true;
  }
  return false;
}

function jsonString(text: string): string {
  return needsEscape(text) ? JSON.stringify(text) : `"${text}"`;
}

/** As JSON.stringify writes a property's value; `undefined` when it leaves the property out. */
function jsonValue(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return jsonString(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    default:
      return value instanceof JsonText ? value.text : JSON.stringify(value);
  }
}

export function errorDetail(error: unknown): Record<string, unknown> {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message, stack: error.stack }
    : { errorMessage: String(error) };
}
