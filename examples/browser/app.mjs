// The browser side of signed-file-store, in plain JavaScript with no build step: the API's JSON mode
// (Accept: application/json) returns URLs and headers the page then uses itself, because a browser
// cannot safely follow a cross-origin 307 for a PUT.
"use strict";

const $ = (id) => document.getElementById(id);
const MULTIPART_FROM = 8 * 1024 * 1024;
const PARALLEL_PARTS = 3;
const params = new URLSearchParams(location.search);
$("api").value = params.get("api") || "http://127.0.0.1:3000";

function log(text) {
  $("log").textContent += `${new Date().toISOString().slice(11, 19)} ${text}\n`;
}

function status(text) {
  $("status").textContent = text;
}

function keyUrl(query) {
  const key = $("key").value.replace(/^\/+/, "");
  const path = key.split("/").map(encodeURIComponent).join("/");
  return `${$("api").value.replace(/\/+$/, "")}/${path}${query ? `?${query}` : ""}`;
}

async function api(method, query, headers = {}, body) {
  const token = $("token").value.trim();
  const res = await fetch(keyUrl(query), {
    method,
    headers: {
      accept: "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!res.ok)
    throw new Error(
      json?.error ? `${res.status} ${json.error.code}: ${json.error.message}` : `${res.status}`,
    );
  return json;
}

/** XHR rather than fetch: only XHR reports upload progress. Resolves with the ETag S3 returns. */
function put(url, headers, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) {
      // The browser sets Content-Length from the body itself.
      if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve(xhr.getResponseHeader("ETag"))
        : reject(new Error(`storage answered ${xhr.status}: ${xhr.responseText.slice(0, 200)}`));
    xhr.onerror = () => reject(new Error("network error (or CORS refused) during upload"));
    xhr.send(blob);
  });
}

function uploadHeaders(file) {
  return {
    "content-type": file.type || "application/octet-stream",
    "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    "upload-length": String(file.size),
  };
}

async function uploadSingle(file, onProgress) {
  const instruction = await api("PUT", "", uploadHeaders(file));
  await put(instruction.url, instruction.headers, file, onProgress);
}

async function uploadMultipart(file, onProgress) {
  const { uploadId, partSize } = await api("POST", "uploads", uploadHeaders(file));
  const count = Math.ceil(file.size / partSize);
  const loaded = new Array(count + 1).fill(0);
  const etags = [];
  let next = 1;
  const id = encodeURIComponent(uploadId);
  try {
    const worker = async () => {
      while (next <= count) {
        const partNumber = next++;
        // Signed just before use, one at a time, so no URL waits long enough to expire.
        const { parts } = await api("GET", `uploadId=${id}&parts=${partNumber}-${partNumber}`);
        const blob = file.slice((partNumber - 1) * partSize, partNumber * partSize);
        etags[partNumber] = await put(parts[0].url, parts[0].headers, blob, (n) => {
          loaded[partNumber] = n;
          onProgress(loaded.reduce((a, b) => a + b, 0));
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    const parts = etags.map((etag, partNumber) => ({ partNumber, etag })).filter((p) => p.etag);
    const done = await api("POST", `uploadId=${id}`, {}, { parts });
    log(`completed ${done.key}: ${done.size} bytes in ${count} parts`);
  } catch (error) {
    await api("DELETE", `uploadId=${id}`).catch(() => undefined);
    throw error;
  }
}

$("upload").addEventListener("click", async () => {
  const file = $("file").files[0];
  if (!file) return status("choose a file first");
  const started = performance.now();
  const onProgress = (bytes) => {
    $("progress").value = file.size ? bytes / file.size : 1;
    const seconds = (performance.now() - started) / 1000;
    status(
      `uploading ${(bytes / 2 ** 20).toFixed(1)} / ${(file.size / 2 ** 20).toFixed(1)} MiB, ${(bytes / 2 ** 20 / seconds).toFixed(1)} MiB/s`,
    );
  };
  try {
    status("uploading");
    await (file.size >= MULTIPART_FROM ? uploadMultipart(file, onProgress) : uploadSingle(file, onProgress));
    $("progress").value = 1;
    status(`uploaded ${file.size} bytes`);
    log(`uploaded ${file.name} as ${$("key").value}`);
  } catch (error) {
    status(`upload failed: ${error.message}`);
    log(String(error));
  }
});

$("download").addEventListener("click", async () => {
  try {
    status("downloading");
    const { url } = await api("GET", "");
    const res = await fetch(url);
    if (!res.ok) throw new Error(`the CDN answered ${res.status}`);
    const total = Number(res.headers.get("content-length") || 0);
    const reader = res.body.getReader();
    const chunks = [];
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.length;
      $("progress").value = total ? bytes / total : 0;
    }
    const blob = new Blob(chunks, { type: res.headers.get("content-type") || "application/octet-stream" });
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    $("download-sha256").textContent = hex;
    const recorded = res.headers.get("x-amz-meta-sha256");
    if (recorded && recorded !== hex)
      throw new Error(`SHA-256 mismatch: got ${hex}, the upload recorded ${recorded}`);
    const disposition = res.headers.get("content-disposition") || "";
    const name =
      decodeURIComponent(/filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] || "") ||
      $("key").value.split("/").pop();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    status(`downloaded ${bytes} bytes`);
  } catch (error) {
    status(`download failed: ${error.message}`);
    log(String(error));
  }
});
