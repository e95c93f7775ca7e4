import { DEFAULT_ISSUER_URL, requestToken } from "../../issuer";
import { apiUrlArg, durationArg, UsageError } from "../args";
import type { Command } from "./context";

const USAGE = "usage: sfstore token --sub NAME [--scope read,write] [--expires 1h] [--issuer-url URL]";

/** The development issuer caps a token's life at a day. */
const MAX_EXPIRES = 86_400;

/**
 * `sfstore token`: a token from the local stack's development issuer (`npm start -- --auth jwt`), for
 * `--token` or `SFS_TOKEN`. The token alone goes to stdout, so `export SFS_TOKEN=$(sfstore token …)`
 * works; --json prints the issuer's whole answer.
 */
export const token: Command = async ({ args, opt, result }) => {
  if (args.length > 0) throw new UsageError(USAGE);
  const sub = opt("sub");
  if (!sub) throw new UsageError(`--sub names the token's subject; ${USAGE}`);
  const scopeText = opt("scope");
  const scope = scopeText?.split(/[,\s]+/).filter((s) => s !== "");
  if (scope && scope.length === 0) throw new UsageError("--scope lists scopes, like read,write");
  const expires = opt("expires");
  const expiresIn = expires === undefined ? undefined : durationArg(expires);
  if (expiresIn !== undefined && expiresIn > MAX_EXPIRES) {
    throw new UsageError(`--expires is at most 1d (${MAX_EXPIRES} seconds) for a development token`);
  }
  // Read from the environment like every option, though it falls outside the API's own URL.
  const issuerUrl = issuerUrlArg(opt("issuer-url") ?? DEFAULT_ISSUER_URL);
  const issued = await requestToken(issuerUrl, {
    sub,
    ...(scope === undefined ? {} : { scope }),
    ...(expiresIn === undefined ? {} : { expiresIn }),
  });
  result(issued, issued.token);
  return undefined;
};

function issuerUrlArg(value: string): string {
  try {
    return apiUrlArg(value);
  } catch {
    throw new UsageError(
      `--issuer-url (or SFS_ISSUER_URL) must be the issuer's http(s) URL, like ${DEFAULT_ISSUER_URL}; got "${value}"`,
    );
  }
}
