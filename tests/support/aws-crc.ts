import { Crc64Nvme } from "@aws-sdk/crc64-nvme";

/**
 * The CRC64NVME of `bytes` as the AWS SDK computes it (base64, as S3 writes it): written apart from
 * the project's own (functions/api/checksums.ts), so a test compares what a client sent or a store
 * holds with a value computed independently.
 */
export async function awsCrc64(bytes: Uint8Array): Promise<string> {
  const crc = new Crc64Nvme();
  crc.update(bytes);
  return Buffer.from(await crc.digest()).toString("base64");
}
