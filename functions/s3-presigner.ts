import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { encodeKeyPath, strictEncode } from "./object-key";

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

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

const UNSIGNED_PAYLOAD_HEADER = "x-amz-content-sha256";

/**
 * Presigns S3 requests with SigV4 directly rather than through the S3 client, so that no
 * `x-amz-checksum-crc32` of an empty body and no `x-amz-sdk-checksum-algorithm` are baked into the
 * URL (the SDK adds them since its flexible-checksums default changed to WHEN_SUPPORTED, and a
 * client uploading real bytes then fails with BadDigest).
 */
export class S3Presigner {
  private readonly signer: SignatureV4;
  private readonly origin: URL;
  private readonly pathPrefix: string;

  constructor(target: S3Target, credentials: CredentialsProvider) {
    this.signer = new SignatureV4({
      service: "s3",
      region: target.region,
      credentials,
      // Node's native SHA-256 and HMAC: several times faster than the pure-JS default for the four
      // HMACs and two hashes every presign needs.
      sha256: Hash.bind(null, "sha256"),
      // S3's canonical URI is the path as sent, encoded once; other services encode it twice.
      uriEscapePath: false,
      applyChecksum: false,
    });
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
    const path = this.pathPrefix + encodeKeyPath(request.key);
    const signed = await this.signer.presign(
      {
        method: request.method,
        protocol: this.origin.protocol,
        hostname: this.origin.hostname,
        ...(this.origin.port ? { port: Number(this.origin.port) } : {}),
        path,
        query: { ...request.query },
        headers: {
          host: this.origin.host,
          ...request.signedHeaders,
          // Read by the signer as the payload hash; neither signed nor hoisted into the URL, so the
          // client does not have to send it.
          [UNSIGNED_PAYLOAD_HEADER]: "UNSIGNED-PAYLOAD",
        },
      },
      {
        signingDate: request.now,
        expiresIn: request.expiresInSeconds,
        unsignableHeaders: new Set([UNSIGNED_PAYLOAD_HEADER]),
        // The signer would move x-amz-* headers (x-amz-meta-sha256) into the query string; kept as
        // headers, every signed value is one the client visibly sends.
        unhoistableHeaders: new Set([UNSIGNED_PAYLOAD_HEADER, ...Object.keys(request.signedHeaders ?? {})]),
      },
    );
    const query = Object.entries(signed.query ?? {})
      .flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) =>
          v === null ? strictEncode(name) : `${strictEncode(name)}=${strictEncode(String(v))}`,
        ),
      )
      .join("&");
    return `${this.origin.origin}${path}?${query}`;
  }
}
