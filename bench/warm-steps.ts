/**
 * A warm GET built up from the handler's own steps, without the handler around them: decode the
 * key, look the version up, build the policy, sign, redirect; then with the memo of signed URLs;
 * then with the log line. Each stage's rate against the raw signature shows what each step costs,
 * and what is left for routing, the authorizer and the metrics in the whole handler.
 */
import type { KeyObject } from "node:crypto";
import { keyFromRawPath } from "../functions/api/object-key";
import type { FunctionUrlEvent } from "../functions/http/function-url";
import { redirect } from "../functions/http/responses";
import { alignedExpiry, readResource, redirectMaxAge } from "../functions/routes/read-url";
import type { ObjectLookup } from "../functions/s3/objects";
import { signCloudFrontUrl } from "../functions/signers/cloudfront-signer";
import { SignedUrlMemo } from "../functions/signers/signed-url-memo";
import type { Logger } from "../functions/telemetry/log";

export interface StepsOptions {
  readonly cdnBaseUrl: string;
  readonly expirySeconds: number;
  readonly key: { readonly keyPairId: string; readonly privateKey: KeyObject };
  readonly objects: ObjectLookup;
}

export function getSteps(options: StepsOptions, stage: { memo: boolean; log?: Logger }) {
  const { cdnBaseUrl, expirySeconds, key, objects } = options;
  const memo = new SignedUrlMemo();
  return async (event: FunctionUrlEvent) => {
    const objectKey = keyFromRawPath(event.rawPath);
    const object = await objects.head(objectKey, undefined);
    if (!object) throw new Error(`no object at ${objectKey}`);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expires = alignedExpiry(nowSeconds, expirySeconds);
    const resource = readResource(cdnBaseUrl, object);
    const sign = () => signCloudFrontUrl(resource, key, expires, "SHA256");
    const url = stage.memo ? memo.get(resource, expires, key.keyPairId, nowSeconds, sign) : sign();
    const result = redirect(url, `private, max-age=${redirectMaxAge(nowSeconds, expires)}`);
    stage.log?.log("info", "request", {
      requestId: event.requestContext.requestId,
      method: "GET",
      key: objectKey,
      status: result.statusCode,
      sourceIp: event.requestContext.http.sourceIp,
      durationMs: 0,
    });
    return result;
  };
}
