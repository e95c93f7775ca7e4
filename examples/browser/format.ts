/** Sizes, dates and durations as a person reads them, in the reader's locale. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** `0 B`, `999 B`, `1.5 KiB`, `30 MiB`, `2.3 GiB`: one decimal below 10 of a unit, none above. */
export function formatBytes(bytes: number, locale?: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
  return `${number} ${UNITS[unit]}`;
}

/** A date and time, such as `12 May 2025, 14:32`, in the reader's locale and time zone. */
export function formatDate(iso: string, locale?: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

const DURATIONS = [
  [604_800, "week"],
  [86_400, "day"],
  [3_600, "hour"],
  [60, "minute"],
  [1, "second"],
] as const;

/** `1 hour`, `7 days`, `90 minutes`: the largest unit that divides the duration whole. */
export function formatDuration(seconds: number, locale?: string): string {
  const [size, unit] = DURATIONS.find(([size]) => seconds % size === 0) ?? [1, "second"];
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(seconds / size);
}

/** What a share link may last: these, as far as the store allows, and the store's own limit. */
const SHARE_CHOICES = [900, 3_600, 86_400, 604_800];

/** The share-link lifetimes to offer, shortest first, the last being the store's limit when it is not a usual one. */
export function expiryChoices(maxSeconds: number): number[] {
  const choices = SHARE_CHOICES.filter((s) => s <= maxSeconds);
  if (!choices.includes(maxSeconds)) choices.push(maxSeconds);
  return choices;
}

/** The name after the last `/` of a key, or of a folder (which ends in `/`). */
export function baseName(key: string): string {
  const trimmed = key.endsWith("/") ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
