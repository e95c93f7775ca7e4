/**
 * The upload panel: Uppy's Dashboard (drag and drop, files or whole folders, progress per file,
 * pause and resume) on `@uppy/aws-s3` with the store's own adapter, which asks the API to sign each
 * upload. A file goes into the folder on show when it was added, a dropped folder's files under
 * their paths within it.
 */
import AwsS3 from "@uppy/aws-s3";
import Uppy, { type UppyFile } from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import type { TokenSource } from "../../browser/index";
import { signedFileStore } from "../../browser/uppy";

export interface UploaderOptions {
  readonly apiUrl: string;
  readonly token: TokenSource;
  /** The folder on show, where a file added now is uploaded. */
  readonly folder: () => string;
  /** A file is stored under `key`. */
  readonly uploaded: (key: string) => void;
  readonly failed: (name: string, error: unknown) => void;
}

export interface Uploader {
  /** Says where new files go, under the drop zone. */
  showFolder(prefix: string): void;
  /** Removes every file from the panel (after a sign-out). */
  clear(): void;
}

type File = UppyFile<Record<string, unknown>, Record<string, never>>;

/** The path a dropped folder gives a file (`photos/2025/a.png`), or just its name. */
function pathOf(file: File): string {
  const relative = file.meta.relativePath;
  const path = typeof relative === "string" && relative !== "" ? relative : (file.name ?? file.id);
  return path.replace(/^\/+/, "");
}

export function createUploader(options: UploaderOptions): Uploader {
  const keys = new Map<string, string>();
  const uppy = new Uppy({ id: "files" });
  uppy.use(Dashboard, {
    inline: true,
    target: "#dashboard",
    width: "100%",
    height: 380,
    theme: "light",
    fileManagerSelectionType: "both",
    proudlyDisplayPoweredByUppy: false,
    showRemoveButtonAfterComplete: true,
    // Done clears the finished files, so the same file can be uploaded again (a new version).
    doneButtonHandler: () => uppy.clear(),
  });
  uppy.use(
    AwsS3,
    signedFileStore({
      apiUrl: options.apiUrl,
      token: options.token,
      objectKey: (file) => keys.get(file.id) ?? `${options.folder()}${file.name ?? file.id}`,
    }),
  );
  uppy.on("file-added", (file) => keys.set(file.id, `${options.folder()}${pathOf(file)}`));
  uppy.on("file-removed", (file) => keys.delete(file.id));
  uppy.on("upload-success", (file) => {
    const key = file && keys.get(file.id);
    if (key) options.uploaded(key);
  });
  uppy.on("upload-error", (file, error) => options.failed(file?.name ?? "a file", error));

  return {
    showFolder(prefix) {
      uppy.getPlugin("Dashboard")?.setOptions({ note: `Files go to /${prefix}` });
    },
    clear() {
      uppy.cancelAll();
      keys.clear();
    },
  };
}
