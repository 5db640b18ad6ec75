import type { Transformer } from 'grammy';

/** How the Bot API transformer retries rate-limited calls. */
export interface RetryAfterOptions {
  /** Retries after the first 429 of one call (then the 429 is returned as is). */
  maxRetries: number;
  /** Longest wait honoured, in seconds (a longer `retry_after` is waited only this long). */
  maxWaitSeconds: number;
  log(message: string): void;
}

/**
 * A grammY API transformer that retries a call answered with 429, waiting the `retry_after` the Bot
 * API gives, a bounded number of times. The wait ends early when the call's signal aborts.
 */
export function retryAfterTransformer(options: RetryAfterOptions): Transformer {
  return async (prev, method, payload, signal) => {
    for (let attempt = 0; ; attempt++) {
      const response = await prev(method, payload, signal);
      if (response.ok || response.error_code !== 429 || attempt >= options.maxRetries)
        return response;
      const wait = Math.min(
        Math.max(response.parameters?.retry_after ?? 1, 0),
        options.maxWaitSeconds,
      );
      options.log(`telegram: ${method} rate-limited, retrying in ${wait}s`);
      if (!(await pause(wait * 1000, signal))) return response;
    }
  };
}

/** The part of an abort signal used (grammY's shim type is not the DOM one). */
interface Signal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Waits `ms`; false when `signal` aborted first. */
function pause(ms: number, signal: Signal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
