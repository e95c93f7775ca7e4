/**
 * The file list: one folder at a time (a prefix, listed one level deep), its subfolders first, then
 * its files with size, date and their actions; breadcrumbs above, "Show more" for the next page.
 */
import type { ListedObject, ListPage, SignedFileStore } from "../../browser/index";
import { actionButton, byId, h, icon } from "./dom";
import { describeError } from "./errors";
import { baseName, formatBytes, formatDate } from "./format";

export interface FileActions {
  download(object: ListedObject): void;
  details(object: ListedObject): void;
  share(object: ListedObject): void;
  versions(object: ListedObject): void;
  remove(object: ListedObject): void;
  purge(object: ListedObject): void;
}

export interface FileBrowserOptions {
  readonly store: SignedFileStore;
  readonly actions: FileActions;
  /** Told whenever the folder on show changes. */
  readonly onOpen: (prefix: string) => void;
  /** Told when a call failed; true if it dealt with it (the page asks for a token again). */
  readonly onFailure: (error: unknown) => boolean;
}

export class FileBrowser {
  prefix = "";
  /** The top folder: `""` (the whole store) or a token's own folder such as `dev/`. */
  private home = "";
  private homeLabel = "All files";
  private next: string | null = null;
  /** A listing in flight, and whether another was asked for meanwhile (uploads finish in bursts). */
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: FileBrowserOptions) {
    byId("more").addEventListener("click", () => void this.load(true));
  }

  setHome(home: string, label: string): void {
    this.home = home;
    this.homeLabel = label;
  }

  /** Shows `prefix` (a folder ending in `/`; one outside the home folder shows the home folder). */
  open(prefix: string): Promise<void> {
    this.prefix = prefix.startsWith(this.home) ? prefix : this.home;
    this.next = null;
    // The address names the folder, so a reload, a bookmark and Back return to it.
    if (folderOfHash(location.hash) !== this.prefix) history.replaceState(null, "", folderHash(this.prefix));
    this.renderCrumbs();
    this.options.onOpen(this.prefix);
    return this.refresh();
  }

  /** Lists the folder again; calls while one is in flight make one more listing after it. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        await this.load(false);
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** True when a key's folder is the one on show or below it: its upload changes the list. */
  shows(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  private async load(more: boolean): Promise<void> {
    const prefix = this.prefix;
    const body = byId("entries");
    byId("listing").setAttribute("aria-busy", "true");
    try {
      const page: ListPage = await this.options.store.list(
        prefix,
        more && this.next !== null ? { after: this.next } : {},
      );
      // The reader may have moved on to another folder while this one was listed.
      if (prefix !== this.prefix) return;
      this.hideProblem();
      const rows = [
        ...page.prefixes.map((folder) => this.folderRow(folder)),
        ...page.objects.map((object) => this.fileRow(object)),
      ];
      if (more) body.append(...rows);
      else body.replaceChildren(...rows);
      this.next = page.next;
      byId("more").hidden = page.next === null;
      this.renderEmpty(body.childElementCount === 0);
    } catch (error) {
      if (prefix !== this.prefix) return;
      if (!more) body.replaceChildren();
      byId("empty").hidden = true;
      if (!this.options.onFailure(error))
        this.showProblem(`Could not list ${this.where(prefix)}. ${describeError(error)}`);
    } finally {
      byId("listing").removeAttribute("aria-busy");
    }
  }

  showProblem(text: string): void {
    const problem = byId("problem");
    problem.textContent = text;
    problem.hidden = false;
  }

  hideProblem(): void {
    byId("problem").hidden = true;
  }

  private where(prefix: string): string {
    return prefix === this.home ? this.homeLabel.toLowerCase() : `“${baseName(prefix)}”`;
  }

  private renderEmpty(empty: boolean): void {
    const box = byId("empty");
    box.hidden = !empty;
    byId("listing").hidden = empty;
    if (!empty) return;
    const atHome = this.prefix === this.home;
    box.replaceChildren(
      icon(atHome ? "home" : "folder"),
      h("p", { class: "empty-title" }, atHome ? "No files yet" : "This folder is empty"),
      h(
        "p",
        {},
        atHome
          ? "Drop files on the uploader, or browse for them: they are listed here once stored."
          : "Files uploaded while this folder is open go into it; the folder exists as long as it holds a file.",
      ),
    );
  }

  private renderCrumbs(): void {
    const { home, homeLabel } = this;
    const below = this.prefix.slice(home.length).split("/").filter(Boolean);
    const crumbs: Node[] = [];
    let path = home;
    const entries: Array<[string, string]> = [[home, homeLabel]];
    for (const segment of below) {
      path += `${segment}/`;
      entries.push([path, segment]);
    }
    entries.forEach(([target, label], i) => {
      const last = i === entries.length - 1;
      if (i > 0) crumbs.push(h("span", { class: "crumb-sep", "aria-hidden": "true" }, "/"));
      crumbs.push(
        last
          ? h("span", { class: "crumb current", "aria-current": "page", "data-prefix": target }, label)
          : h(
              "a",
              { class: "crumb", href: folderHash(target), "data-prefix": target },
              i === 0 ? icon("home") : null,
              label,
            ),
      );
    });
    if (entries.length === 1) crumbs.unshift(icon("home"));
    byId("crumbs").replaceChildren(...crumbs);
  }

  private folderRow(folder: string): HTMLTableRowElement {
    return h(
      "tr",
      { class: "folder", "data-prefix": folder },
      h(
        "td",
        { class: "name" },
        h("a", { href: folderHash(folder), class: "entry" }, icon("folder"), h("span", {}, baseName(folder))),
      ),
      h("td", { class: "size" }, h("span", { class: "muted" }, "Folder")),
      h("td", { class: "date" }),
      h("td", { class: "actions" }),
    );
  }

  private fileRow(object: ListedObject): HTMLTableRowElement {
    const { actions } = this.options;
    const name = baseName(object.key);
    return h(
      "tr",
      { class: "file", "data-key": object.key },
      h(
        "td",
        { class: "name" },
        h(
          "button",
          {
            type: "button",
            class: "entry",
            title: `Download ${name}`,
            onclick: () => actions.download(object),
          },
          icon("file"),
          h("span", {}, name),
        ),
      ),
      h("td", { class: "size", title: `${object.size.toLocaleString()} bytes` }, formatBytes(object.size)),
      h("td", { class: "date", title: object.lastModified }, formatDate(object.lastModified)),
      h(
        "td",
        { class: "actions" },
        h(
          "div",
          { class: "action-group" },
          actionButton("download", "Download", "download", () => actions.download(object)),
          actionButton("info", "Details", "details", () => actions.details(object)),
          actionButton("share", "Share", "share", () => actions.share(object)),
          actionButton("versions", "Versions", "versions", () => actions.versions(object)),
          actionButton("trash", "Delete", "delete", () => actions.remove(object)),
          actionButton(
            "purge",
            "Purge",
            "purge",
            () => actions.purge(object),
            "btn btn-quiet btn-danger-quiet",
          ),
        ),
      ),
    );
  }
}

/** A folder's address in the page: `#/photos/2025/`, each segment percent-encoded. */
export function folderHash(prefix: string): string {
  return `#/${prefix.split("/").map(encodeURIComponent).join("/")}`;
}

/** The folder a `#/…` address names, or undefined for none (or one that is not well-formed). */
export function folderOfHash(hash: string): string | undefined {
  if (!hash.startsWith("#/")) return undefined;
  try {
    const prefix = hash.slice(2).split("/").map(decodeURIComponent).join("/");
    return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  } catch {
    return undefined;
  }
}
