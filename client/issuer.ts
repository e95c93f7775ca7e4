import { readText, send } from "./http";
import { PermanentError } from "./retry";

/** Where the local stack's development issuer listens unless told otherwise. */
export const DEFAULT_ISSUER_URL = "http://127.0.0.1:3002";

export interface TokenRequest {
  /** The token's subject: whom the store's `{sub}` rules name. */
  readonly sub: string;
  /** Scopes such as `read`, `write`, `delete`, `purge`; the issuer's default when absent. */
  readonly scope?: readonly string[];
  /** Seconds the token lives; the issuer's default (an hour) when absent. */
  readonly expiresIn?: number;
}

/** The development issuer's answer to `POST /token`. */
export interface DevToken {
  readonly token: string;
  readonly sub: string;
  readonly scope: string;
  readonly expiresAt: string;
}

/** No development issuer answered at the URL: the stack is not running in jwt mode, or elsewhere. */
export class IssuerUnreachable extends PermanentError {
  constructor(issuerUrl: string, why: string) {
    super(
      `no development issuer answered at ${issuerUrl} (${why}): start the local stack with npm start -- --auth jwt, or point --issuer-url (SFS_ISSUER_URL) at its issuer`,
      undefined,
      "IssuerUnreachable",
    );
  }
}

/**
 * Asks the local stack's development issuer for a token (`POST /token`). Only for local use: a
 * deployment trusts a real issuer, which hands out its tokens its own way.
 */
export async function requestToken(issuerUrl: string, request: TokenRequest): Promise<DevToken> {
  const url = `${issuerUrl.replace(/\/+$/, "")}/token`;
  const body = Buffer.from(
    JSON.stringify({
      sub: request.sub,
      ...(request.scope === undefined ? {} : { scope: request.scope.join(" ") }),
      ...(request.expiresIn === undefined ? {} : { expiresIn: request.expiresIn }),
    }),
  );
  let status: number;
  let text: string;
  try {
    const res = await send({
      method: "POST",
      url,
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "content-length": String(body.length),
      },
      body,
      idleTimeoutMs: 10_000,
    });
    status = res.status;
    text = await readText(res);
  } catch (error) {
    throw new IssuerUnreachable(issuerUrl, error instanceof Error ? error.message : String(error));
  }
  let parsed: Partial<DevToken> & { error?: { code?: string; message?: string } };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new IssuerUnreachable(issuerUrl, `it answered ${status} with no JSON`);
  }
  if (status !== 200 || typeof parsed.token !== "string") {
    const code = parsed.error?.code ?? "IssuerError";
    throw new PermanentError(
      `the issuer refused: ${status} ${code}: ${parsed.error?.message ?? text.slice(0, 200)}`,
      status,
      code,
    );
  }
  return parsed as DevToken;
}
