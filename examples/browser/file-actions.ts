/**
 * What a file's buttons do: download and share (signed CDN links), versions and restore, delete
 * (undoable: the bucket keeps versions) and purge (every version, and the CDN's copies).
 */
import type { ListedObject, ObjectVersion, ReadInstruction, SignedFileStore } from "../../browser/index";
import { actionButton, byId, h, toast } from "./dom";
import { describeError } from "./errors";
import { fileDetails } from "./file-details";
import { baseName, expiryChoices, formatBytes, formatDate, formatDuration } from "./format";

export interface FileActionsOptions {
  readonly store: SignedFileStore;
  readonly maxReadExpirySeconds: number;
  /** The list changed: show it again. */
  readonly changed: () => void;
  /** A call failed outside a dialog. */
  readonly failed: (text: string, error: unknown) => void;
}

function showProblem(id: string, text: string | undefined): void {
  const problem = byId(id);
  problem.textContent = text ?? "";
  problem.hidden = text === undefined;
}

export function fileActions(options: FileActionsOptions) {
  const { store } = options;
  const details = fileDetails(store);

  /** A signed CDN URL and until when it works (the API's JSON read). */
  function readLink(key: string, query: Record<string, string>): Promise<ReadInstruction> {
    return store.api.call<ReadInstruction>({
      method: "GET",
      path: key,
      query: new URLSearchParams(query).toString(),
    });
  }

  // The share dialog: a new link whenever the expiry changes.
  const expiry = byId<HTMLSelectElement>("share-expiry");
  expiry.replaceChildren(
    ...expiryChoices(options.maxReadExpirySeconds).map((seconds) =>
      h("option", { value: String(seconds) }, formatDuration(seconds)),
    ),
  );
  expiry.value = String(expiryChoices(options.maxReadExpirySeconds).find((s) => s >= 3_600) ?? expiry.value);
  let sharing: ListedObject | undefined;
  async function makeShareLink(): Promise<void> {
    const object = sharing;
    if (!object) return;
    const field = byId<HTMLInputElement>("share-url");
    const copy = byId<HTMLButtonElement>("share-copy");
    field.value = "";
    copy.disabled = true;
    byId("share-until").textContent = "";
    showProblem("share-problem", undefined);
    try {
      const link = await readLink(object.key, { expires: expiry.value, download: baseName(object.key) });
      if (sharing !== object) return;
      field.value = link.url;
      copy.disabled = false;
      copy.textContent = "Copy";
      byId("share-until").textContent = `Works until ${formatDate(link.expiresAt)}.`;
    } catch (error) {
      showProblem("share-problem", `Could not make a link. ${describeError(error)}`);
    }
  }
  expiry.addEventListener("change", () => void makeShareLink());
  byId("share-copy").addEventListener("click", async () => {
    const field = byId<HTMLInputElement>("share-url");
    const copy = byId("share-copy");
    try {
      await navigator.clipboard.writeText(field.value);
      copy.textContent = "Copied";
    } catch {
      // Without the clipboard permission (an embedded page, an old browser), the link is selected
      // for the reader to copy.
      field.select();
      copy.textContent = "Press Ctrl+C";
    }
  });

  // The purge dialog answers with the button pressed.
  const purgeDialog = byId<HTMLDialogElement>("purge-dialog");
  let purging: ListedObject | undefined;
  purgeDialog.addEventListener("close", () => {
    const object = purging;
    purging = undefined;
    if (purgeDialog.returnValue === "purge" && object) void purge(object);
  });

  async function purge(object: ListedObject): Promise<void> {
    const name = baseName(object.key);
    try {
      const result = await store.purge(object.key);
      const [error] = result.errors;
      if (error) throw Object.assign(new Error(error.message), { status: 404, code: error.code });
      const versions = result.purged[0]?.deletedVersions ?? 0;
      toast(
        `Purged ${name}: ${versions} ${versions === 1 ? "version" : "versions"} deleted, and the CDN told to forget it.`,
      );
    } catch (error) {
      options.failed(`Could not purge ${name}.`, error);
    }
    options.changed();
  }

  /** The newest version that holds bytes: what Undo brings back after a delete. */
  async function restoreLatest(key: string): Promise<void> {
    try {
      const { versions } = await store.versions(key);
      const kept = versions.find((v) => !v.deleteMarker);
      if (!kept) throw new Error(`${baseName(key)} has no version left to restore`);
      await store.restore(key, kept.versionId);
      toast(`Restored ${baseName(key)}.`);
    } catch (error) {
      options.failed(`Could not restore ${baseName(key)}.`, error);
    }
    options.changed();
  }

  async function showVersions(key: string): Promise<void> {
    const body = byId("versions");
    showProblem("versions-problem", undefined);
    body.setAttribute("aria-busy", "true");
    try {
      const { versions } = await store.versions(key);
      body.replaceChildren(...versions.map((version) => versionRow(key, version)));
    } catch (error) {
      body.replaceChildren();
      showProblem("versions-problem", `Could not list the versions. ${describeError(error)}`);
    } finally {
      body.removeAttribute("aria-busy");
    }
  }

  function versionRow(key: string, version: ObjectVersion): HTMLTableRowElement {
    const label = version.deleteMarker ? "Deleted" : version.isLatest ? "Current" : "Earlier";
    const restore = async () => {
      try {
        await store.restore(key, version.versionId);
        toast(`Restored the version of ${formatDate(version.lastModified)}.`);
        options.changed();
        await showVersions(key);
      } catch (error) {
        showProblem("versions-problem", `Could not restore it. ${describeError(error)}`);
      }
    };
    return h(
      "tr",
      { "data-version-id": version.versionId, class: version.deleteMarker ? "deleted" : "" },
      h(
        "td",
        {},
        h("span", { class: `tag tag-${label.toLowerCase()}` }, label),
        h("code", { class: "version-id", title: version.versionId }, version.versionId.slice(0, 12)),
      ),
      h("td", { class: "size" }, version.size === undefined ? "" : formatBytes(version.size)),
      h("td", { class: "date", title: version.lastModified }, formatDate(version.lastModified)),
      h(
        "td",
        { class: "actions" },
        !version.isLatest && !version.deleteMarker
          ? actionButton("versions", "Restore", "restore", () => void restore())
          : null,
      ),
    );
  }

  return {
    /** The browser saves the file from the CDN under its name (a signed link with Content-Disposition). */
    async download(object: ListedObject): Promise<void> {
      try {
        const link = await store.url(object.key, { download: baseName(object.key) });
        const anchor = h("a", { href: link, rel: "noopener", hidden: true });
        document.body.append(anchor);
        anchor.click();
        anchor.remove();
      } catch (error) {
        options.failed(`Could not download ${baseName(object.key)}.`, error);
      }
    },

    details(object: ListedObject): void {
      void details.show(object);
    },

    share(object: ListedObject): void {
      sharing = object;
      byId("share-name").textContent = baseName(object.key);
      byId("share-copy").textContent = "Copy";
      byId<HTMLDialogElement>("share-dialog").showModal();
      void makeShareLink();
    },

    versions(object: ListedObject): void {
      byId("versions-title").textContent = `Versions of ${baseName(object.key)}`;
      byId("versions").replaceChildren();
      byId<HTMLDialogElement>("versions-dialog").showModal();
      void showVersions(object.key);
    },

    async remove(object: ListedObject): Promise<void> {
      const name = baseName(object.key);
      try {
        await store.delete(object.key);
        toast(`Deleted ${name}. Its earlier versions are kept.`, {
          label: "Undo",
          run: () => void restoreLatest(object.key),
        });
      } catch (error) {
        options.failed(`Could not delete ${name}.`, error);
      }
      options.changed();
    },

    purge(object: ListedObject): void {
      purging = object;
      byId("purge-title").textContent = `Purge ${baseName(object.key)} for good?`;
      byId("purge-text").textContent =
        "This deletes every version of the file, not only the current one, and has the CDN drop its cached copies, so every share link made for it stops working. Unlike Delete, it cannot be undone.";
      showProblem("purge-problem", undefined);
      purgeDialog.showModal();
    },
  };
}
