import { SignedFileStoreError, settableHeaders, storageError } from "./api";

/**
 * PUTs a blob to a signed URL and resolves with the ETag storage answers. XMLHttpRequest rather than
 * fetch: only XHR reports upload progress (fetch has no upload progress events, and streaming a
 * request body needs HTTP/2 and `duplex: "half"`, which S3 presigned PUTs do not take).
 */
export function xhrPut(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Blob | Uint8Array,
  onProgress: (bytes: number) => void,
  signal: AbortSignal,
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = (done: () => void) => {
      signal.removeEventListener("abort", onAbort);
      done();
    };
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(settableHeaders(headers))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      settle(() => {
        if (xhr.status < 200 || xhr.status >= 300) {
          reject(storageError(xhr.status, xhr.responseText));
          return;
        }
        // Bucket CORS must expose ETag (ExposeHeaders), or a cross-origin script reads null here.
        const etag = xhr.getResponseHeader("etag");
        if (etag) resolve(etag);
        else
          reject(
            new SignedFileStoreError(
              0,
              "MissingETag",
              "storage did not expose the part's ETag (bucket CORS)",
            ),
          );
      });
    xhr.onerror = () =>
      settle(() =>
        reject(new SignedFileStoreError(0, "NetworkError", "the upload failed (network or CORS)")),
      );
    xhr.onabort = () => settle(() => reject(abortError(signal)));
    xhr.send(body as XMLHttpRequestBodyInit);
  });
}

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException("the transfer was aborted", "AbortError");
}
