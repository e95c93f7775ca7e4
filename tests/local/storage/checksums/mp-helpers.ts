import { expect } from "chai";
import type { StorageFixture } from "../fixture";
import { xmlText } from "../fixture";

/** Multipart requests to the storage as the function's presigned URLs make them, with signed headers. */
export function multipart(s: StorageFixture) {
  const send = async (
    method: "PUT" | "POST" | "GET" | "HEAD",
    key: string,
    query: Record<string, string>,
    headers: Record<string, string> = {},
    body?: Buffer | string,
  ) => {
    const url = await s.presign(method, key, { query, signedHeaders: headers });
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      code: xmlText(text, "Code"),
      message: xmlText(text, "Message")
        ?.replace(/&apos;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, "&"),
    };
  };
  return {
    send,
    async create(key: string, headers: Record<string, string> = {}) {
      const answer = await send("POST", key, { uploads: "" }, headers);
      return { ...answer, uploadId: xmlText(answer.text, "UploadId") ?? "" };
    },
    async part(
      key: string,
      uploadId: string,
      partNumber: number,
      body: Buffer,
      headers: Record<string, string> = {},
    ) {
      const answer = await send("PUT", key, { uploadId, partNumber: String(partNumber) }, headers, body);
      return { ...answer, etag: answer.headers.get("etag") ?? "" };
    },
    async complete(
      key: string,
      uploadId: string,
      parts: ReadonlyArray<{ partNumber: number; etag: string; checksums?: Record<string, string> }>,
      headers: Record<string, string> = {},
    ) {
      const xml = `<CompleteMultipartUpload>${parts
        .map(
          (p) =>
            `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag>${Object.entries(
              p.checksums ?? {},
            )
              .map(([name, value]) => `<${name}>${value}</${name}>`)
              .join("")}</Part>`,
        )
        .join("")}</CompleteMultipartUpload>`;
      return send("POST", key, { uploadId }, headers, xml);
    },
    /** The `<Part>` entries of ListParts, and the upload's checksum algorithm and type. */
    async listParts(key: string, uploadId: string) {
      const answer = await send("GET", key, { uploadId });
      expect(answer.status).to.equal(200);
      return {
        algorithm: xmlText(answer.text.replace(/<Part>[\s\S]*<\/Part>/, ""), "ChecksumAlgorithm"),
        type: xmlText(answer.text.replace(/<Part>[\s\S]*<\/Part>/, ""), "ChecksumType"),
        parts: [...answer.text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => m[1] ?? ""),
      };
    },
  };
}
