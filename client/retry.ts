import { NetworkError } from "./http";

export interface RetryOptions {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 6, baseDelayMs: 250, maxDelayMs: 20_000 };

/** A failure the same request may not repeat: a 4xx that says what is wrong. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A 5xx, 429 or 408 from a server: the same request may well succeed later. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof NetworkError || error instanceof TransientError;
}

/**
 * Exponential backoff with full jitter (a random delay up to base × 2^attempt), so that parallel
 * part uploads that failed together do not retry together.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= options.attempts) throw error;
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.floor(Math.random() * ceiling);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

export function statusError(status: number, message: string, code?: string): Error {
  if (status >= 500 || status === 429 || status === 408) {
    return new TransientError(`${status}: ${message}`, status, code);
  }
  return new PermanentError(`${status} ${message}`, status, code);
}
