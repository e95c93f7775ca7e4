/**
 * The browser example: a small file manager on the browser SDK and Uppy's Dashboard with the
 * store's Uppy adapter. The local stack bundles this file with esbuild when it starts
 * (scripts/build-example.ts); a site imports the same modules from the package
 * (`signed-file-store-browser`, `signed-file-store-browser/uppy`, docs/browser.md).
 */
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";
import "./styles/base.css";
import "./styles/controls.css";
import "./styles/files.css";
import "./styles/dialogs.css";
import { SignedFileStore } from "../../browser/index";
import { acceptToken, type SignedIn, showIamNotice, showNotice, signInForm } from "./auth";
import { actionButton, byId, h, toast } from "./dom";
import { describeError, isUnauthenticated } from "./errors";
import { fileActions } from "./file-actions";
import { FileBrowser, folderOfHash } from "./file-browser";
import { baseName, formatDate } from "./format";
import { loadSettings, type PageSettings } from "./settings";
import { createUploader } from "./uploader";

const MODE_TITLES = {
  public: "auth mode public: anyone may read, write and delete",
  jwt: "auth mode jwt: requests carry a bearer token",
  iam: "auth mode iam: requests are signed with AWS SigV4",
} as const;

function showConnection(settings: PageSettings): void {
  const mode = byId("auth-mode");
  mode.textContent = settings.auth;
  mode.title = MODE_TITLES[settings.auth];
  mode.dataset.mode = settings.auth;
  const api = byId("api-host");
  api.textContent = new URL(settings.apiUrl).host;
  api.title = `API: ${settings.apiUrl}`;
  byId("connection").hidden = false;
}

async function main(): Promise<void> {
  let settings: PageSettings;
  try {
    settings = await loadSettings(location.search);
  } catch (error) {
    showNotice("The page cannot start", h("p", {}, describeError(error)));
    return;
  }
  showConnection(settings);
  if (settings.auth === "iam") {
    showIamNotice(settings);
    return;
  }

  let session: SignedIn | undefined;
  const store = new SignedFileStore({ apiUrl: settings.apiUrl, token: () => session?.token });
  const signIn = signInForm(settings, async (token) => {
    const candidate = acceptToken(token, settings);
    // One listing of the token's folder: a token the API refuses is said here, on the sign-in card.
    await new SignedFileStore({ apiUrl: settings.apiUrl, token }).list(candidate.home, { limit: 1 });
    session = candidate;
    signIn.hide();
    showWho(candidate);
    await open(candidate.home, "Your files");
  });

  /** Back to the sign-in card: the token was refused, expired or given up. */
  const signOut = (problem?: string) => {
    session = undefined;
    uploader.clear();
    byId("workspace").hidden = true;
    byId("who").hidden = true;
    byId("sign-out").hidden = true;
    signIn.show(problem);
  };
  const handled = (error: unknown): boolean => {
    if (settings.auth !== "jwt" || !isUnauthenticated(error)) return false;
    signOut(`The API refused the token. ${describeError(error)}`);
    return true;
  };

  const browser = new FileBrowser({
    store,
    actions: fileActions({
      store,
      maxReadExpirySeconds: settings.maxReadExpirySeconds,
      changed: () => void browser.refresh(),
      failed: (text, error) => {
        if (!handled(error)) browser.showProblem(`${text} ${describeError(error)}`);
      },
    }),
    onOpen: (prefix) => uploader.showFolder(prefix),
    onFailure: handled,
  });
  const uploader = createUploader({
    apiUrl: settings.apiUrl,
    token: () => session?.token,
    folder: () => browser.prefix,
    uploaded: (key) => {
      if (browser.shows(key)) void browser.refresh();
    },
    failed: (name, error) => {
      if (!handled(error)) toast(`${name} was not uploaded. ${describeError(error)}`);
    },
  });

  async function open(home: string, label: string): Promise<void> {
    browser.setHome(home, label);
    byId("workspace").hidden = false;
    await browser.open(folderOfHash(location.hash) ?? home);
  }
  window.addEventListener("hashchange", () => {
    const prefix = folderOfHash(location.hash);
    if (!byId("workspace").hidden && prefix !== undefined && prefix !== browser.prefix)
      void browser.open(prefix);
  });
  byId("tools").append(
    newFolderButton(browser),
    actionButton("refresh", "Refresh", "refresh", () => void browser.refresh()),
  );
  byId("sign-out").addEventListener("click", () => signOut());

  function showWho(signedIn: SignedIn): void {
    const who = byId("who");
    who.textContent = signedIn.expiresAt
      ? `${signedIn.subject} · until ${formatDate(signedIn.expiresAt)}`
      : signedIn.subject;
    who.hidden = false;
    byId("sign-out").hidden = false;
  }

  if (settings.auth === "jwt") signIn.show();
  else await open("", "All files");
}

/** "New folder" opens a folder that exists once a file is uploaded into it, as S3's prefixes do. */
function newFolderButton(browser: FileBrowser): HTMLButtonElement {
  const dialog = byId<HTMLDialogElement>("folder-dialog");
  const name = byId<HTMLInputElement>("folder-name");
  dialog.addEventListener("close", () => {
    const folder = name.value.trim().replace(/\/+$/, "");
    if (dialog.returnValue === "create" && folder !== "" && !folder.includes("/")) {
      void browser.open(`${browser.prefix}${folder}/`);
      toast(`Opened the new folder ${baseName(folder)}: upload a file to keep it.`);
    }
  });
  return actionButton("plus", "New folder", "new-folder", () => {
    name.value = "";
    dialog.showModal();
  });
}

main()
  .catch((error: unknown) => showNotice("Something went wrong", h("p", {}, describeError(error))))
  .finally(() => {
    byId("loading").hidden = true;
  });
