import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
} from './retry-policy.js';

describe('retry policy', () => {
  it('retries rate limits, timeouts and server errors only', () => {
    for (const status of [408, 409, 425, 429, 500, 502, 503, 504, 529]) {
      expect(isRetryableStatus(status), String(status)).toBe(true);
    }
    for (const status of [400, 401, 403, 404, 413, 422, 501, 505]) {
      expect(isRetryableStatus(status), String(status)).toBe(false);
    }
  });

  it('reads Retry-After as seconds or a date, and retry-after-ms first', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(
      3000,
    );
    expect(retryAfterMs(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(
      0,
    );
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(
      150,
    );
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after': '-1' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('backs off exponentially with equal jitter, capped', () => {
    const policy = (random: number): RetryPolicy => ({
      maxRetries: 5,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      random: () => random,
    });
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelayMs(retry, policy(0)))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelayMs(retry, policy(0.999999)))).toEqual(
      [100, 200, 400, 800, 1_000].map((ceiling) => expect.closeTo(ceiling, 2)),
    );
  });

  it('follows the server when it says how long to wait, within the cap', () => {
    const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelayMs(0, policy, 0)).toBe(0);
    expect(backoffDelayMs(2, policy, 300)).toBe(300);
    expect(backoffDelayMs(0, policy, 60_000)).toBe(1_000);
  });
});
