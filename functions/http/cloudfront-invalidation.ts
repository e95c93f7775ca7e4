import type { CdnTarget } from "../config";
import type { CredentialsProvider } from "../signers/s3-presigner";
import { SigV4Signer } from "../signers/sigv4";
import { type HttpAnswer, type HttpRequest, httpRequest } from "./outbound";
import { childTexts } from "./xml-text";

/** An invalidation CloudFront accepted (CreateInvalidation's `Invalidation`). */
export interface Invalidation {
  readonly id: string;
  /** `InProgress` when created; `Completed` once every edge has dropped the paths. */
  readonly status: string;
  readonly paths: readonly string[];
}

export interface Invalidator {
  /** Rejects with InvalidationFailed when CloudFront cannot be reached or refuses. */
  invalidate(paths: readonly string[], callerReference: string): Promise<Invalidation>;
}

/** CreateInvalidation did not succeed; `detail` (CloudFront's code, or the network error) is for the log. */
export class InvalidationFailed extends Error {
  constructor(
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "InvalidationFailed";
  }
}

/** CloudFront's API is global: one endpoint, signed for us-east-1 (AWS General Reference, "Amazon CloudFront endpoints and quotas"). */
export const CLOUDFRONT_API = "https://cloudfront.amazonaws.com";
const API_VERSION = "2020-05-31";
const NAMESPACE = `http://cloudfront.amazonaws.com/doc/${API_VERSION}/`;
/** CreateInvalidation answers in well under a second when CloudFront is up; past this it is down. */
export const INVALIDATION_TIMEOUT_MS = 5_000;

const xmlEscape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );

/** The CreateInvalidation body (Amazon CloudFront API Reference, "CreateInvalidation"). */
export function invalidationBatchXml(paths: readonly string[], callerReference: string): string {
  const items = paths.map((p) => `<Path>${xmlEscape(p)}</Path>`).join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<InvalidationBatch xmlns="${NAMESPACE}"><Paths><Quantity>${paths.length}</Quantity><Items>${items}</Items></Paths>` +
    `<CallerReference>${xmlEscape(callerReference)}</CallerReference></InvalidationBatch>`
  );
}

export interface InvalidatorOptions {
  readonly clock?: () => Date;
  readonly timeoutMs?: number;
  /** Replaces the HTTP exchange (tests). */
  readonly send?: (url: URL, request: HttpRequest) => Promise<HttpAnswer>;
}

/**
 * CreateInvalidation, signed with SigV4 here and sent over functions/http/outbound.ts, as the
 * HeadObject lookup is, rather than through @aws-sdk/client-cloudfront: the call is one POST of a
 * small XML body, and the client would add a package as large as client-s3 to the function for it.
 *
 * outbound.ts sends a request again when a kept-alive connection turns out closed before any answer;
 * that is safe here because CloudFront answers a repeated CallerReference with the same paths by
 * returning the invalidation it already created ("CallerReference", API Reference).
 */
export function cloudFrontInvalidator(
  cdn: CdnTarget,
  credentials: CredentialsProvider,
  options: InvalidatorOptions = {},
): Invalidator {
  const signer = new SigV4Signer();
  const clock = options.clock ?? (() => new Date());
  const send = options.send ?? httpRequest;
  const endpoint = new URL(cdn.apiEndpoint ?? CLOUDFRONT_API);
  const base = endpoint.pathname.replace(/\/+$/, "");
  const path = `${base}/${API_VERSION}/distribution/${encodeURIComponent(cdn.distributionId)}/invalidation`;
  const url = new URL(path, endpoint.origin);
  return {
    async invalidate(paths, callerReference) {
      const body = invalidationBatchXml(paths, callerReference);
      const headers = signer.signHeaders(
        { method: "POST", path, headers: { host: url.host, "content-type": "application/xml" } },
        body,
        { region: "us-east-1", service: "cloudfront", credentials: await credentials(), now: clock() },
      );
      let answer: HttpAnswer;
      try {
        answer = await send(url, {
          method: "POST",
          headers,
          body,
          timeoutMs: options.timeoutMs ?? INVALIDATION_TIMEOUT_MS,
        });
      } catch (error) {
        throw new InvalidationFailed("CloudFront's API could not be reached", error);
      }
      const text = (name: string) => {
        try {
          return childTexts(answer.body, name)[0];
        } catch {
          return undefined;
        }
      };
      if (answer.status !== 201) {
        const code = text("Code") ?? "";
        throw new InvalidationFailed(`CreateInvalidation answered ${answer.status} ${code}`, {
          status: answer.status,
          code,
          message: text("Message") ?? "",
        });
      }
      const id = text("Id");
      const status = text("Status");
      if (!id || !status)
        throw new InvalidationFailed("CreateInvalidation answered 201 without an Id and Status");
      return { id, status, paths };
    },
  };
}
