import { BadRequest, NotFound, PreconditionFailed } from "../api/http-error";
import { rethrowUnavailable, s3ErrorCode } from "./client";

/** An object call's failure: the object gone or changed is the caller's 404 or 412, an outage a 503. */
export function objectFailure(error: unknown, key: string): never {
  switch (s3ErrorCode(error)) {
    case "NoSuchKey":
    case "NoSuchVersion":
      throw new NotFound("NoSuchKey", `no object at ${key} (it changed while the request ran)`);
    case "PreconditionFailed":
      throw new PreconditionFailed(`${key} changed while the request ran`);
  }
  return rethrowUnavailable(error);
}

export const INVALID_TOKEN_MESSAGE = "after must be the next token of the previous page of this listing";

/**
 * A listing's failure: a continuation token or version marker S3 does not recognise (it answers
 * 400 InvalidArgument to both) means the caller's `after` did not come from the previous page.
 */
export function listingFailure(error: unknown, key: string): never {
  if (s3ErrorCode(error) === "InvalidArgument") throw new BadRequest("InvalidToken", INVALID_TOKEN_MESSAGE);
  return objectFailure(error, key);
}
