import { type ErrorBody, HttpError, INTERNAL_ERROR } from "../api/http-error";
import { errorDetail, type Logger } from "../telemetry/log";
import type { FunctionUrlResult } from "./function-url";

/** What a client must send to carry out the transfer itself (the JSON mode). */
export interface TransferInstruction {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return type === "application/json" && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export const NO_STORE = "no-store";

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): FunctionUrlResult {
  return {
    statusCode,
    headers:
      body === undefined
        ? { "cache-control": NO_STORE, ...headers }
        : { "content-type": "application/json", "cache-control": NO_STORE, ...headers },
    body: body === undefined ? "" : JSON.stringify(body),
  };
}

/**
 * A 307 to the signed URL, or the instruction as JSON. `cacheControl` lets reads be reused by the
 * browser; JSON answers are never cached, since they may be read by scripts that need them fresh.
 */
export function respond(
  instruction: TransferInstruction,
  accept: string | undefined,
  cacheControl: string = NO_STORE,
  extra: Readonly<Record<string, unknown>> = {},
): FunctionUrlResult {
  if (wantsJson(accept)) return jsonResponse(200, { ...instruction, ...extra });
  return redirect(instruction.url, cacheControl);
}

export function redirect(url: string, cacheControl: string): FunctionUrlResult {
  return { statusCode: 307, headers: { location: url, "cache-control": cacheControl }, body: "" };
}

/** The one place errors become responses: 4xx say what is wrong, 5xx say nothing and log it all. */
export function errorResponse(error: unknown, log: Logger, requestId: string): FunctionUrlResult {
  if (error instanceof HttpError) {
    if (error.status >= 500) {
      const detail = (error as { detail?: unknown }).detail;
      log.log("warn", "dependency unavailable", {
        requestId,
        code: error.code,
        ...(detail === undefined ? {} : errorDetail(detail)),
      });
    }
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    return {
      statusCode: error.status,
      headers: { "content-type": "application/json", "cache-control": NO_STORE, ...error.headers },
      body: JSON.stringify(body),
    };
  }
  log.log("error", "request failed", { requestId, ...errorDetail(error) });
  return {
    statusCode: 500,
    headers: { "content-type": "application/json", "cache-control": NO_STORE },
    body: JSON.stringify(INTERNAL_ERROR),
  };
}
