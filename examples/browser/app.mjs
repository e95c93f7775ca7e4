// The example page, in plain JavaScript with no build step, on the browser SDK that the local stack
// serves next to it as one ES module.
import { fileNameOf, SignedFileStore } from "./signed-file-store.mjs";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
$("api").value = params.get("api") || "http://127.0.0.1:3000";
let prefix = params.get("prefix") || "";
let running;

const store = () => new SignedFileStore({ apiUrl: $("api").value, token: () => $("token").value.trim() });

function log(text) {
  $("log").textContent += `${new Date().toISOString().slice(11, 19)} ${text}\n`;
}

function status(text) {
  $("status").textContent = text;
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function button(td, label, action, onClick) {
  const b = document.createElement("button");
  b.textContent = label;
  b.dataset.action = action;
  b.addEventListener("click", () => onClick().catch(fail));
  td.append(b);
}

function fail(error) {
  status(`failed: ${error.message}`);
  log(String(error));
}

/** The current prefix's folders, then its files, with size and date; paging is followed to the end. */
async function refresh() {
  $("prefix").textContent = `/${prefix}`;
  const body = $("entries");
  const rows = [];
  let after;
  do {
    const page = await store().list(prefix, after === undefined ? {} : { after });
    for (const folder of page.prefixes) {
      const row = document.createElement("tr");
      row.dataset.prefix = folder;
      const name = cell(row, "");
      const open = document.createElement("a");
      open.href = "#";
      open.textContent = folder.slice(prefix.length);
      open.addEventListener("click", (e) => {
        e.preventDefault();
        navigate(folder);
      });
      name.append(open);
      cell(row, "", "size");
      cell(row, "");
      cell(row, "");
      rows.push(row);
    }
    for (const object of page.objects) rows.push(fileRow(object));
    after = page.next ?? undefined;
  } while (after !== undefined);
  body.replaceChildren(...rows);
}

function fileRow(object) {
  const row = document.createElement("tr");
  row.dataset.key = object.key;
  cell(row, object.key.slice(prefix.length));
  cell(row, String(object.size), "size");
  cell(row, new Date(object.lastModified).toISOString().replace("T", " ").slice(0, 19));
  const actions = cell(row, "");
  button(actions, "Download", "download", () => download(object.key));
  button(actions, "Versions", "versions", () => showVersions(object.key));
  button(actions, "Delete", "delete", () => remove(object.key));
  return row;
}

function navigate(to) {
  prefix = to;
  refresh().catch(fail);
}

async function download(key) {
  status(`downloading ${key}`);
  const { object, blob, sha256 } = await store().read(key, {
    onProgress: ({ bytes, total }) => {
      $("progress").value = total ? bytes / total : 1;
    },
  });
  $("download-sha256").textContent = sha256;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = fileNameOf(object);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  status(`downloaded ${blob.size} bytes`);
}

async function remove(key) {
  await store().delete(key);
  log(`deleted ${key}`);
  status(`deleted ${key}`);
  await refresh();
  await showVersions(key);
}

/** Newest first; every version but the current one can be made current again, a deleted file's too. */
async function showVersions(key) {
  $("versions-key").textContent = key;
  const { versions } = await store().versions(key);
  const rows = versions.map((version) => {
    const row = document.createElement("tr");
    row.dataset.versionId = version.versionId;
    cell(row, version.deleteMarker ? `${version.versionId} (deleted)` : version.versionId);
    cell(row, version.deleteMarker ? "" : String(version.size), "size");
    cell(row, new Date(version.lastModified).toISOString().replace("T", " ").slice(0, 19));
    const actions = cell(row, version.isLatest ? "current" : "");
    if (!version.isLatest && !version.deleteMarker) {
      button(actions, "Restore", "restore", async () => {
        const restored = await store().restore(key, version.versionId);
        log(`restored ${key} to ${version.versionId} as ${restored.versionId ?? "current"}`);
        status(`restored ${key}`);
        await refresh();
        await showVersions(key);
      });
    }
    return row;
  });
  $("versions").replaceChildren(...rows);
}

$("upload").addEventListener("click", async () => {
  const file = $("file").files[0];
  if (!file) return status("choose a file first");
  const key = $("key").value.replace(/^\/+/, "");
  const started = performance.now();
  running = store().upload(file, key, {
    onProgress: ({ phase, bytes, total }) => {
      $("progress").value = total ? bytes / total : 1;
      const seconds = (performance.now() - started) / 1000;
      status(`${phase} ${mib(bytes)} / ${mib(total)} MiB, ${(bytes / 2 ** 20 / seconds).toFixed(1)} MiB/s`);
    },
  });
  try {
    const done = await running.done;
    $("progress").value = 1;
    status(`uploaded ${done.size} bytes`);
    log(
      done.parts
        ? `completed ${done.key}: ${done.size} bytes in ${done.parts} parts (${done.resumedParts} resumed)`
        : `uploaded ${done.key}: ${done.size} bytes`,
    );
    await refresh();
  } catch (error) {
    if (error.name === "AbortError") status(error.message);
    else fail(error);
  } finally {
    running = undefined;
  }
});

// A file picked goes into the folder on show, under its own name, unless the key is changed after.
$("file").addEventListener("change", () => {
  const file = $("file").files[0];
  if (file) $("key").value = `${prefix}${file.name}`;
});
$("pause").addEventListener("click", () => running?.pause());
$("abort").addEventListener("click", () => running?.abort());
$("up").addEventListener("click", () => navigate(prefix.replace(/[^/]*\/$/, "")));
$("refresh").addEventListener("click", () => refresh().catch(fail));
// Listed at once only when the link names its API (the local stack's start banner does): a page
// opened bare should not call a guessed address before the user has said which API to use.
if (params.has("api")) refresh().catch(fail);
