import * as path from "node:path";
import { SingleBar } from "cli-progress";
import type { Progress } from "../transfer/upload";

const CONTENT_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tar": "application/x-tar",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".json": "application/json",
  ".txt": "text/plain",
  ".csv": "text/csv",
  ".html": "text/html",
};

/** The Content-Type a file is stored with when none is given. */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

/** RFC 6266: an ASCII fallback plus the exact name in RFC 8187 encoding. */
export function contentDisposition(filename: string, inline: boolean): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${inline ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export interface ProgressBar {
  update(p: Progress): void;
  stop(): void;
}

export function progressBar(enabled: boolean): ProgressBar {
  if (!enabled) return { update: (_p: Progress) => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: "{phase} [{bar}] {percentage}% | {done} / {size} | {speed} | ETA {eta_formatted}",
    noTTYOutput: !process.stderr.isTTY,
    notTTYSchedule: 1000,
    etaBuffer: 50,
    hideCursor: true,
  });
  const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
  let phase = "";
  let started = Date.now();
  return {
    update(p: Progress) {
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        started = Date.now();
        bar.start(Math.max(p.total, 1), 0, { phase, done: mib(0), size: mib(p.total), speed: "" });
      }
      const seconds = (Date.now() - started) / 1000;
      bar.update(p.bytes, {
        done: mib(p.bytes),
        speed: seconds > 0 ? `${mib(p.bytes / seconds)}/s` : "",
      });
    },
    stop: () => {
      if (phase) bar.stop();
    },
  };
}
