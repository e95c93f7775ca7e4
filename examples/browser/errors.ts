/**
 * Errors in words. The SDK's errors carry the API's (or S3's) code and message, and a request the
 * browser refused for CORS, or that reached nothing, is already explained by the SDK
 * (`CorsRefused`, `NetworkError`); this adds what the reader can do about it. No JSON, no stacks.
 */

interface Coded {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const isCoded = (error: unknown): error is Coded =>
  error instanceof Error &&
  typeof (error as Partial<Coded>).status === "number" &&
  typeof (error as Partial<Coded>).code === "string";

const sentence = (text: string) => {
  const trimmed = text.trim();
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
};

/** What went wrong, for a person: the API's message and, where it helps, what to try. */
export function describeError(error: unknown): string {
  if (isCoded(error)) {
    const said = sentence(error.message);
    switch (error.code) {
      case "CorsRefused":
        return `The browser blocked the request (CORS). ${said}`;
      case "NetworkError":
        return `${said} Check the address, and that the store is running.`;
    }
    if (error.status === 401) return `The API asks for a valid token: ${said}`;
    if (error.status === 403) return `Not allowed: ${said}`;
    if (error.status === 503)
      return `The store is busy or one of its services is down: ${said} Try again shortly.`;
    if (error.status >= 500) return `The store had a problem (${error.status}): ${said} Try again shortly.`;
    return said;
  }
  if (error instanceof Error) {
    if (error.name === "AbortError") return "Stopped.";
    return sentence(error.message);
  }
  return sentence(String(error));
}

/** True when the API refused the token (or its absence): the page asks for one again. */
export function isUnauthenticated(error: unknown): boolean {
  return isCoded(error) && error.status === 401;
}
