import { encodeKeyPath, strictEncode } from "../api/object-key";
import { type AwsCredentials, SigV4Signer } from "./sigv4";

export type { AwsCredentials } from "./sigv4";

export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface S3Target {
  readonly bucket: string;
  readonly region: string;
  /**
   * An S3-compatible endpoint such as `http://127.0.0.1:9000`, addressed path-style. Without it the
   * regional virtual-hosted endpoint `BUCKET.s3.REGION.amazonaws.com` is used: the global endpoint
   * answers with a redirect for buckets outside us-east-1, which breaks a presigned PUT.
   */
  readonly endpoint?: string;
  /**
   * The partition's DNS suffix: `amazonaws.com`, `amazonaws.com.cn` in the China regions. S3's
   * regional endpoints are `s3.REGION.DNS_SUFFIX` (AWS General Reference, "Amazon S3 endpoints").
   * Default `amazonaws.com`.
   */
  readonly dnsSuffix?: string;
}

export interface PresignRequest {
  readonly method: "PUT" | "DELETE" | "GET" | "HEAD" | "POST";
  readonly key: string;
  /** Lower-case header names whose values the client must send exactly (they are signed). */
  readonly signedHeaders?: Readonly<Record<string, string>>;
  /** Sub-resource query parameters such as `uploadId` and `partNumber`. */
  readonly query?: Readonly<Record<string, string>>;
  readonly expiresInSeconds: number;
  readonly now: Date;
}

/**
 * Presigns S3 requests with SigV4 directly rather than through the S3 client, so that no
 * `x-amz-checksum-crc32` of an empty body and no `x-amz-sdk-checksum-algorithm` are baked into the
 * URL (the SDK adds them since its flexible-checksums default changed to WHEN_SUPPORTED, and a
 * client uploading real bytes then fails with BadDigest). The payload is UNSIGNED-PAYLOAD; the
 * signed headers are `host` and the request's own, which stay headers (the SDK's presigner would
 * move x-amz-* ones such as x-amz-meta-sha256 into the query string), so every signed value is one
 * the client visibly sends.
 */
export class S3Presigner {
  private readonly signer = new SigV4Signer();
  private readonly origin: URL;
  private readonly pathPrefix: string;

  constructor(
    private readonly target: S3Target,
    private readonly credentials: CredentialsProvider,
  ) {
    if (target.endpoint) {
      this.origin = new URL(target.endpoint);
      this.pathPrefix = `/${strictEncode(target.bucket)}/`;
    } else {
      const dnsSuffix = target.dnsSuffix ?? "amazonaws.com";
      this.origin = new URL(`https://${target.bucket}.s3.${target.region}.${dnsSuffix}`);
      this.pathPrefix = "/";
    }
  }

  async presign(request: PresignRequest): Promise<string> {
    // S3's canonical URI is the path as sent, encoded once; other services encode it twice.
    const path = this.pathPrefix + encodeKeyPath(request.key);
    const query = this.signer.presignQuery(
      {
        method: request.method,
        path,
        query: request.query ?? {},
        headers: { ...request.signedHeaders, host: this.origin.host },
      },
      {
        region: this.target.region,
        service: "s3",
        credentials: await this.credentials(),
        now: request.now,
      },
      request.expiresInSeconds,
    );
    return `${this.origin.origin}${path}?${query}`;
  }
}
