/**
 * A file's details: what the store keeps of it, its checksum among them, and a check of a download
 * against that checksum. The checksum is the one S3 verified when the bytes were written
 * (CRC64NVME for everything this page and the store's clients upload) and the API reports with
 * every read (`checksum` in the JSON read, `Object-Checksum*` headers on a redirect).
 */
import type { ListedObject, ObjectChecksum, ObjectInfo, SignedFileStore } from "../../browser/index";
import { byId, h } from "./dom";
import { describeError } from "./errors";
import { baseName, formatBytes, formatDate } from "./format";

/** How a checksum covers the file, in words: a composite one is a checksum of its parts' checksums. */
export function checksumScope(checksum: ObjectChecksum): string {
  if (checksum.type === "FULL_OBJECT") return "of the whole file";
  const parts = /-(\d+)$/.exec(checksum.value)?.[1];
  return parts ? `of the checksums of its ${parts} parts` : "of the checksums of its parts";
}

const bytesInWords = (size: number) => `${formatBytes(size)} (${size.toLocaleString("en")} bytes)`;

function say(id: string, text: string | undefined): void {
  const line = byId(id);
  line.textContent = text ?? "";
  line.hidden = text === undefined;
}

export function fileDetails(store: SignedFileStore) {
  const dialog = byId<HTMLDialogElement>("details-dialog");
  const check = byId<HTMLButtonElement>("details-check");
  /** The object on show; a reply for another one (the reader moved on) is dropped. */
  let showing: ObjectInfo | undefined;
  let asked: ListedObject | undefined;

  function render(object: ObjectInfo): void {
    const row = (term: string, ...value: Array<Node | string>) =>
      [h("dt", {}, term), h("dd", { "data-field": term.toLowerCase() }, ...value)] as const;
    const { checksum } = object;
    byId("details-list").replaceChildren(
      ...row("Key", h("code", {}, object.key)),
      ...row("Size", bytesInWords(object.size)),
      ...row("Type", object.contentType ?? "not recorded"),
      ...row("Modified", object.lastModified ? formatDate(object.lastModified) : "not recorded"),
      ...row("Version", object.versionId ? h("code", {}, object.versionId) : "the bucket keeps no versions"),
      ...row(
        "Checksum",
        ...(checksum
          ? [
              h("span", { class: "checksum-algorithm" }, checksum.algorithm),
              " ",
              h("span", { class: "checksum-scope" }, checksumScope(checksum)),
              h("code", { class: "checksum-value" }, checksum.value),
            ]
          : ["none recorded: the object was stored without one"]),
      ),
      ...row("ETag", h("code", {}, object.etag)),
    );
  }

  async function runCheck(): Promise<void> {
    const object = showing;
    if (!object) return;
    check.disabled = true;
    say("details-problem", undefined);
    say("details-verdict", "Downloading and checking…");
    try {
      const read = await store.read(object.key, object.versionId ? { versionId: object.versionId } : {});
      if (showing !== object) return;
      const size = bytesInWords(read.blob.size);
      say(
        "details-verdict",
        read.verified
          ? `Read ${size} and checked them: their ${object.checksum?.algorithm ?? ""} matches the store's.`
          : `Read ${size}, not checked: ${read.note ?? "no reason given"}.`,
      );
    } catch (error) {
      if (showing !== object) return;
      say("details-verdict", undefined);
      say("details-problem", `The check failed. ${describeError(error)}`);
    } finally {
      check.disabled = false;
    }
  }
  check.addEventListener("click", () => void runCheck());

  return {
    /** Opens the dialog and asks the API for what it keeps of the object (the JSON read's `object`). */
    async show(listed: ListedObject): Promise<void> {
      asked = listed;
      showing = undefined;
      byId("details-title").textContent = `Details of ${baseName(listed.key)}`;
      byId("details-list").replaceChildren();
      say("details-verdict", undefined);
      say("details-problem", undefined);
      check.disabled = true;
      dialog.showModal();
      try {
        const object = await store.stat(listed.key);
        if (asked !== listed) return;
        showing = object;
        render(object);
        check.disabled = false;
      } catch (error) {
        if (asked !== listed) return;
        say("details-problem", `Could not read the details. ${describeError(error)}`);
      }
    },
  };
}
