import { setTimeout as sleep } from 'node:timers/promises';
import {
  describeFailure,
  type Failure,
  type PostJsonOptions,
  statusFailure,
  transportFailure,
} from './post-json.js';
import { backoffDelayMs, type RetryPolicy } from './retry-policy.js';

/** How a {@link resilientFetch} retries and names its failures. */
export interface ResilientFetchOptions
  extends Pick<PostJsonOptions, 'service' | 'apiKey' | 'apiKeyEnv' | 'hint'> {
  /** Limit of one attempt up to the response headers; the body is the caller's to time. */
  timeoutMs: number;
  retry: RetryPolicy;
}

/**
 * A `fetch` for the AI SDK's providers with Mnemos' retry policy: 408/409/425/429/5xx, network errors
 * and header timeouts are retried with backoff and jitter (honouring `Retry-After`); a final failure
 * throws the same `upstream_error` as the embedding and rerank clients, naming the key variable on
 * 401/403. Streaming bodies pass through untouched once the headers arrived.
 */
export function resilientFetch(options: ResilientFetchOptions): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const where = { ...options, url };
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce(input, init, options.timeoutMs);
      if ('response' in outcome) return outcome.response;
      const failure = outcome.failure;
      if (failure.retryable && attempt <= options.retry.maxRetries) {
        await sleep(backoffDelayMs(attempt - 1, options.retry, failure.retryAfterMs), undefined, {
          signal: init?.signal ?? undefined,
        });
        continue;
      }
      throw describeFailure(where, failure, attempt);
    }
  };
}

type Outcome = { response: Response } | { failure: Failure };

async function attemptOnce(
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
  timeoutMs: number,
): Promise<Outcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const outer = init?.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(input, { ...init, signal: controller.signal });
    // The caller's abort must still reach a streaming body, so its listener stays on success.
    if (response.ok) return { response };
    outer?.removeEventListener('abort', onAbort);
    return { failure: statusFailure(response, await response.text()) };
  } catch (error) {
    outer?.removeEventListener('abort', onAbort);
    // The caller's own abort (Ctrl-C, its deadline) is not a failure to retry or explain.
    if (outer?.aborted) throw error;
    return { failure: transportFailure(error, timedOut) };
  } finally {
    clearTimeout(timer);
  }
}
