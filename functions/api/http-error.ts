/**
 * The handler's one error hierarchy. Every 4xx carries a specific code and message that are safe to
 * show the caller; anything that is not an HttpError becomes a generic 500 in `errorResponse`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends HttpError {
  constructor(code: string, message: string) {
    super(400, code, message);
  }
}

export class Unauthorized extends HttpError {
  constructor(message: string, wwwAuthenticate: string) {
    super(401, "Unauthorized", message, { "www-authenticate": wwwAuthenticate });
  }
}

export class Forbidden extends HttpError {
  constructor(message: string) {
    super(403, "Forbidden", message);
  }
}

export class MethodNotAllowed extends HttpError {
  constructor(method: string, allowed: readonly string[]) {
    super(405, "MethodNotAllowed", `method ${method} is not allowed here; use one of ${allowed.join(", ")}`, {
      allow: allowed.join(", "),
    });
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(message: string) {
    super(413, "PayloadTooLarge", message);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor(message: string) {
    super(415, "UnsupportedMediaType", message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export const INTERNAL_ERROR: ErrorBody = {
  error: { code: "InternalError", message: "the request could not be completed; try again later" },
};

export class LengthRequired extends HttpError {
  constructor(message: string) {
    super(411, "LengthRequired", message);
  }
}

export class NotFound extends HttpError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

export class PreconditionFailed extends HttpError {
  constructor(message: string) {
    super(412, "PreconditionFailed", message);
  }
}

/** A dependency (S3, the issuer's JWKS, SSM) is down: the caller may retry after `Retry-After` seconds. */
export class ServiceUnavailable extends HttpError {
  constructor(
    message: string,
    retryAfterSeconds = 5,
    /** What failed underneath; logged, never shown to the caller. */
    readonly detail?: unknown,
    code = "ServiceUnavailable",
  ) {
    super(503, code, message, { "retry-after": String(retryAfterSeconds) });
  }
}
