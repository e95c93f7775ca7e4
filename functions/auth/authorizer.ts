import type { JWTVerifyGetKey } from "jose";
import { Forbidden, type HttpError, Unauthorized } from "../api/http-error";
import { jsonLogger, type Logger } from "../telemetry/log";
import { type Action, expandRules, keyHasPrefix } from "./access-rules";
import { type Jose, loadJose, resilientJwks } from "./jwks";
import { missingScope } from "./scopes";
import { type AuthSettings, DEFAULT_JWT_ALGORITHMS } from "./settings";

export { resilientJwks } from "./jwks";
export type { AuthMode, AuthSettings, JwtSettings } from "./settings";
export { DEFAULT_JWT_ALGORITHMS, JWKS_TIMINGS } from "./settings";

/**
 * What a caller asks to do. A purge (every version deleted, the CDN's copies invalidated) needs
 * what a delete needs, and in jwt mode the purge scope too.
 */
export type AuthAction = Action | "purge";

export interface AuthRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** From `requestContext.authorizer.iam`, present when the function URL's auth type is AWS_IAM. */
  readonly iamCaller?: string;
}

/** Who is asking, for the log line: never a token. */
export interface Principal {
  readonly kind: "iam" | "jwt" | "public" | "anonymous";
  readonly id: string;
}

const REALM = 'Bearer realm="signed-file-store"';

/** Where a principal may do an action: everywhere, or under these key prefixes only. */
export interface Reach {
  readonly principal: Principal;
  readonly prefixes: "all" | readonly string[];
  /**
   * What a caller asking for more than this reach is told, when it is not a plain 403: an anonymous
   * caller gets the 401 challenge a read of a private key gets, so it knows to authenticate.
   */
  readonly refusal?: HttpError;
}

export interface Authorizer {
  /** Resolves with the principal when it may do `action` to `key`; rejects with 401 or 403. */
  authorize(request: AuthRequest, action: AuthAction, key: string): Promise<Principal>;
  /**
   * Where the caller may do `action` at all, for requests that name many keys (a listing, a batch
   * delete); rejects with 401 when the caller cannot be identified and has no anonymous reach.
   */
  reach(request: AuthRequest, action: AuthAction): Promise<Reach>;
}

/** Whether `reach` covers `key` (already validated, so a prefix test is sound). */
export function reaches(reach: Reach, key: string): boolean {
  return reach.prefixes === "all" || keyHasPrefix(key, reach.prefixes);
}

/** The prefix rules an action is checked against: a purge is a delete of every version. */
const rulesFor = (action: AuthAction): Action => (action === "purge" ? "delete" : action);

export function createAuthorizer(
  settings: AuthSettings,
  publicReadPrefixes: readonly string[],
  clock: () => Date,
  jwks?: JWTVerifyGetKey,
  log: Logger = jsonLogger(),
): Authorizer {
  const anonymousRead = (action: AuthAction, key: string) =>
    action === "read" && keyHasPrefix(key, publicReadPrefixes);
  const ANONYMOUS: Principal = { kind: "anonymous", id: "anonymous" };
  const anonymousReach = (action: AuthAction, refusal: HttpError): Reach | undefined =>
    action === "read" && publicReadPrefixes.length > 0
      ? { principal: ANONYMOUS, prefixes: publicReadPrefixes, refusal }
      : undefined;
  switch (settings.mode) {
    case "public": {
      const principal: Principal = { kind: "public", id: "public" };
      return { authorize: async () => principal, reach: async () => ({ principal, prefixes: "all" }) };
    }
    case "iam": {
      // Only reachable when the function URL is not AWS_IAM: refuse rather than trust the caller.
      const unsigned = () =>
        new Unauthorized("this API requires AWS SigV4-signed requests", "AWS4-HMAC-SHA256");
      return {
        async authorize(request, action, key) {
          if (request.iamCaller) return { kind: "iam", id: request.iamCaller };
          if (anonymousRead(action, key)) return ANONYMOUS;
          throw unsigned();
        },
        async reach(request, action) {
          if (request.iamCaller)
            return { principal: { kind: "iam", id: request.iamCaller }, prefixes: "all" };
          const anonymous = anonymousReach(action, unsigned());
          if (anonymous) return anonymous;
          throw unsigned();
        },
      };
    }
    case "jwt": {
      const keySet = jwks ?? resilientJwks(new URL(settings.jwksUrl), clock, log);
      const algorithms = [...(settings.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
      const { issuer, audience, rules, scopes } = settings;
      async function verifiedClaims(request: AuthRequest): Promise<Record<string, unknown>> {
        const token = bearerToken(request.headers.authorization);
        const { jwtVerify, errors } = await loadJose();
        try {
          const verified = await jwtVerify(token, keySet, {
            issuer,
            audience,
            algorithms,
            currentDate: clock(),
          });
          return verified.payload;
        } catch (error) {
          const reason = tokenProblem(error, errors);
          // Anything else (the issuer's JWKS unreachable: a 503 from resilientJwks) is not the caller's fault.
          if (reason === undefined) throw error;
          throw new Unauthorized(
            `the bearer token was refused: ${reason}`,
            `${REALM}, error="invalid_token", error_description="${reason}"`,
          );
        }
      }
      const principalOf = (claims: Record<string, unknown>): Principal => ({
        kind: "jwt",
        id: typeof claims.sub === "string" ? claims.sub : "unknown",
      });
      return {
        async authorize(request, action, key) {
          if (anonymousRead(action, key)) return ANONYMOUS;
          const claims = await verifiedClaims(request);
          const lacking = missingScope(action, scopes, claims);
          if (lacking) throw lacking;
          const allowed = expandRules(rules, claims)[rulesFor(action)];
          if (!keyHasPrefix(key, allowed)) {
            throw new Forbidden(`this token may not ${action} ${JSON.stringify(key)}`);
          }
          return principalOf(claims);
        },
        async reach(request, action) {
          const anonymous = anonymousReach(action, bearerRequired());
          if (anonymous && request.headers.authorization === undefined) return anonymous;
          const claims = await verifiedClaims(request);
          const principal = principalOf(claims);
          const lacking = missingScope(action, scopes, claims);
          if (lacking) {
            // A token without the read scope still reads what anyone may.
            if (anonymous) return { principal, prefixes: publicReadPrefixes, refusal: lacking };
            throw lacking;
          }
          const own = expandRules(rules, claims)[rulesFor(action)];
          const prefixes = anonymous ? [...new Set([...own, ...publicReadPrefixes])] : own;
          return { principal, prefixes };
        },
      };
    }
  }
}

const bearerRequired = () => new Unauthorized("a bearer token is required", REALM);

function bearerToken(header: string | undefined): string {
  if (!header) throw bearerRequired();
  const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header);
  if (!match?.[1]) {
    throw new Unauthorized(
      "the Authorization header is not a bearer token",
      `${REALM}, error="invalid_request"`,
    );
  }
  return match[1];
}

/**
 * A fixed description per class of bad token, or undefined when the failure is not the token's
 * fault. Never echoes the token or jose's message text.
 */
function tokenProblem(error: unknown, errors: Jose["errors"]): string | undefined {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return "the token is not valid yet";
      case "iss":
        return "the token has the wrong issuer";
      case "aud":
        return "the token has the wrong audience";
      default:
        return `the token's ${error.claim} claim is not valid`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return "the token's algorithm is not allowed";
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return "no single key in the issuer's key set matches the token";
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return "the token is malformed";
  return undefined;
}
