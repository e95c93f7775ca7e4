import type { ObjectInfo } from "../functions/api/shapes";

export type { ObjectChecksum } from "../functions/api/checksums";
export type { ObjectInfo } from "../functions/api/shapes";

/** A read URL for sharing: the API's JSON answer to `GET /{key}?expires=…&download=…`. */
export interface ShareLink {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
  readonly object?: ObjectInfo;
}
