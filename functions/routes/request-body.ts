import { BadRequest } from "../api/http-error";
import { validateKey } from "../api/object-key";
import type { FunctionUrlEvent } from "../http/function-url";
import { jsonBody } from "../http/json-body";

/** The most keys one batch (delete, purge) takes, as DeleteObjects. */
export const MAX_BATCH_KEYS = 1000;

export function bodyField(event: FunctionUrlEvent, name: string, shape: string): unknown {
  const invalid = (why: string) => new BadRequest("InvalidBody", `the body must be JSON ${shape}: ${why}`);
  const body = jsonBody(event, invalid);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalid("it is not an object");
  return (body as Record<string, unknown>)[name];
}

export function bodyString(event: FunctionUrlEvent, name: string, shape: string): string {
  const value = bodyField(event, name, shape);
  if (typeof value !== "string" || value === "") {
    throw new BadRequest("InvalidBody", `the body must be JSON ${shape}: ${name} must be a non-empty string`);
  }
  return value;
}

/** Keys in bodies are checked exactly as keys in paths. */
export function bodyKey(event: FunctionUrlEvent, name: string, shape: string): string {
  const key = bodyString(event, name, shape);
  validateKey(key);
  return key;
}

/** What is wrong with a key named in a batch, or undefined when it is a valid key. */
export function keyProblem(key: string): string | undefined {
  try {
    validateKey(key);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `{ "keys": [...] }`: 1 to 1,000 strings, each taken once, in the order first given. */
export function batchKeys(event: FunctionUrlEvent): string[] {
  const shape = '{ "keys": ["a/b.txt", ...] }';
  const keys = bodyField(event, "keys", shape);
  if (
    !Array.isArray(keys) ||
    keys.length < 1 ||
    keys.length > MAX_BATCH_KEYS ||
    keys.some((k) => typeof k !== "string")
  ) {
    throw new BadRequest(
      "InvalidBody",
      `the body must be JSON ${shape}: keys must hold 1 to ${MAX_BATCH_KEYS} strings`,
    );
  }
  return [...new Set(keys as string[])];
}
