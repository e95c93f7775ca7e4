import type { FunctionUrlEvent } from "./function-url";

/** The request body as text: function URLs base64-encode bodies they do not take for text. */
export function bodyText(event: FunctionUrlEvent): string {
  if (!event.body) return "";
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
}

/** The body parsed as JSON, or `invalid` (the caller's error, naming its own expected shape). */
export function jsonBody(event: FunctionUrlEvent, invalid: (why: string) => Error): unknown {
  try {
    return JSON.parse(bodyText(event));
  } catch {
    throw invalid("it is not JSON");
  }
}
