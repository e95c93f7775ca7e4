import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentityProvider } from "@smithy/types";

/** How the client proves who it is to the API (the function URL); transfers carry their own signatures. */
export type ApiAuth =
  | { readonly kind: "none" }
  | { readonly kind: "bearer"; readonly token: string }
  | { readonly kind: "iam"; readonly credentials: AwsCredentialIdentityProvider; readonly region: string };

/** `https://ID.lambda-url.REGION.on.aws/` names its region; anything else needs one given. */
export function regionFromFunctionUrl(url: string): string | undefined {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname)?.[1];
}

/** The headers that authenticate one API request, given every other header it will carry. */
export async function authorize(
  auth: ApiAuth,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<Record<string, string>> {
  switch (auth.kind) {
    case "none":
      return headers;
    case "bearer":
      return { ...headers, authorization: `Bearer ${auth.token}` };
    case "iam": {
      // A function URL with auth type AWS_IAM takes SigV4 for the service "lambda".
      const signer = new SignatureV4({
        service: "lambda",
        region: auth.region,
        credentials: auth.credentials,
        sha256: Hash.bind(null, "sha256"),
      });
      const query: Record<string, string | string[]> = {};
      for (const [name, value] of url.searchParams) {
        const existing = query[name];
        query[name] =
          existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
      }
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...headers, host: url.host },
        ...(body ? { body } : {}),
      });
      return signed.headers as Record<string, string>;
    }
  }
}
