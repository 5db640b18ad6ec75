/** How a model client retries: `maxRetries` after the first attempt, exponential backoff with jitter. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  /** Backoff of the first retry, before jitter. */
  baseDelayMs: number;
  /** Longest wait between attempts, `Retry-After` included. */
  maxDelayMs: number;
  /** Source of jitter in [0, 1); `Math.random` by default. */
  random?: () => number;
}

/** 408 (timeout), 409 (conflict), 425 (too early), 429 (rate limit) and 5xx except 501/505 are worth retrying. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 409 || status === 425 || status === 429) return true;
  return status >= 500 && status !== 501 && status !== 505;
}

/**
 * The wait a server asks for, in milliseconds: `retry-after-ms` (OpenAI), else `retry-after` as
 * seconds or an HTTP date. `undefined` when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null && milliseconds.trim() !== '') {
    const value = Number(milliseconds);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = headers.get('retry-after');
  if (retryAfter === null || retryAfter.trim() === '') return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Wait before retry number `retry` (0 for the first retry). A server's `Retry-After` wins, capped at
 * `maxDelayMs`; otherwise "equal jitter": half of `min(maxDelayMs, baseDelayMs × 2^retry)` plus a
 * random share of the other half, so clients that failed together do not retry together.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, serverAskedMs?: number): number {
  if (serverAskedMs !== undefined) return Math.min(serverAskedMs, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const random = policy.random ?? Math.random;
  return ceiling / 2 + random() * (ceiling / 2);
}
