import { SingleBar } from "cli-progress";
import type { Progress } from "../transfer/upload";

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
