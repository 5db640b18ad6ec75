import { setTimeout as sleep } from 'node:timers/promises';
import type { MnemosError } from '../../core/errors.js';
import {
  backoffDelayMs,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
} from './retry-policy.js';
import { type UpstreamReason, upstreamError } from './upstream-error.js';

/** One JSON POST to a model service, with its retry and error-reporting policy. */
export interface PostJsonOptions {
  /** What is being called, for messages: `embedding`, `rerank`. */
  service: string;
  url: string;
  body: unknown;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string | undefined;
  /** Where the key comes from, named in authentication errors, e.g. `OPENAI_API_KEY`. */
  apiKeyEnv: string;
  /** Extra headers; they replace defaults of the same name, whatever its case. */
  headers?: Record<string, string> | undefined;
  /** Limit of one attempt, connection to last byte of the body. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Advice appended to a non-retryable 4xx refusal (bad model name, batch too large, …). */
  hint?: (status: number, providerMessage: string | undefined) => string | undefined;
}

/** Why one attempt failed, and whether another may succeed. */
export interface Failure {
  reason: UpstreamReason;
  retryable: boolean;
  status?: number;
  statusText?: string;
  providerMessage?: string;
  /** Network error code such as `ECONNREFUSED`. */
  code?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * POSTs JSON and returns the parsed JSON answer. Retries 408/409/425/429/5xx, timeouts and network
 * errors with exponential backoff and jitter (honouring `Retry-After`); every other failure, and the
 * last retryable one, becomes a `MnemosError` of category `upstream` that says what failed and how to
 * fix it.
 */
export async function postJson(options: PostJsonOptions): Promise<unknown> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
  // Lowercase names so an extra `Authorization` replaces the default instead of joining it.
  for (const [name, value] of Object.entries(options.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const payload = JSON.stringify(options.body);
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(options.url, headers, payload, options.timeoutMs);
    if (outcome.ok) {
      try {
        return JSON.parse(outcome.text) as unknown;
      } catch (error) {
        throw badResponse(
          options,
          `a body that is not JSON (${preview(outcome.text)})`,
          attempt,
          error,
        );
      }
    }
    const failure = outcome.failure;
    if (failure.retryable && attempt <= options.retry.maxRetries) {
      await sleep(backoffDelayMs(attempt - 1, options.retry, failure.retryAfterMs));
      continue;
    }
    throw describeFailure(options, failure, attempt);
  }
}

/** An upstream error for an answer that parsed but has the wrong shape. */
export function badResponse(
  options: Pick<PostJsonOptions, 'service' | 'url'>,
  problem: string,
  attempts = 1,
  cause?: unknown,
): MnemosError {
  return upstreamError(
    `${options.service} request to ${options.url} returned ${problem}; is it the right endpoint for this API?`,
    { service: options.service, url: options.url, reason: 'bad_response', attempts },
    cause,
  );
}

type Outcome = { ok: true; text: string } | { ok: false; failure: Failure };

async function attemptOnce(
  url: string,
  headers: Record<string, string>,
  payload: string,
  timeoutMs: number,
): Promise<Outcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: payload,
      signal: controller.signal,
    });
    // The timeout covers reading the body too.
    const text = await response.text();
    if (response.ok) return { ok: true, text };
    return { ok: false, failure: statusFailure(response, text) };
  } catch (error) {
    return { ok: false, failure: transportFailure(error, timedOut) };
  } finally {
    clearTimeout(timer);
  }
}

/** The failure of an answer with a non-2xx status, its body already read. */
export function statusFailure(response: Response, body: string): Failure {
  const failure: Failure = {
    reason: statusReason(response.status),
    retryable: isRetryableStatus(response.status),
    status: response.status,
    statusText: response.statusText,
  };
  const providerMessage = errorMessageOf(body);
  if (providerMessage !== undefined) failure.providerMessage = providerMessage;
  const wait = retryAfterMs(response.headers);
  if (wait !== undefined) failure.retryAfterMs = wait;
  return failure;
}

/** The failure of a request that got no answer: timed out, or a network error. */
export function transportFailure(error: unknown, timedOut: boolean): Failure {
  if (timedOut) return { reason: 'timeout', retryable: true, cause: error };
  const code = networkCode(error);
  return {
    reason: 'network',
    // A host name that does not resolve will not resolve on a retry either.
    retryable: code !== 'ENOTFOUND',
    ...(code !== undefined ? { code } : {}),
    cause: error,
  };
}

/** The upstream reason of an HTTP error status. */
export function statusReason(status: number): UpstreamReason {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500 || status === 408) return 'server_error';
  return 'bad_request';
}

/** The `upstream_error` of a final failure: what failed, and what to check. */
export function describeFailure(
  options: Pick<PostJsonOptions, 'service' | 'url' | 'apiKey' | 'apiKeyEnv' | 'timeoutMs' | 'hint'>,
  failure: Failure,
  attempts: number,
): MnemosError {
  const { service, url } = options;
  const target = new URL(url);
  const origin = target.origin;
  const what = `${service} request to ${url}`;
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  const status =
    failure.status === undefined ? '' : `${failure.status} ${failure.statusText ?? ''}`.trim();
  const said = failure.providerMessage ? ` ("${failure.providerMessage}")` : '';
  let message: string;
  switch (failure.reason) {
    case 'auth':
      message = options.apiKey
        ? `${what} was rejected with ${status}${said}: check ${options.apiKeyEnv} / the key in ~/.mnemos/.env (or $MNEMOS_HOME/.env)`
        : `${what} was rejected with ${status}${said}: no API key was sent; set ${options.apiKeyEnv} in the environment or in ~/.mnemos/.env (or $MNEMOS_HOME/.env)`;
      break;
    case 'not_found':
      message = `${what} failed with ${status}${said}: ${
        options.hint?.(failure.status ?? 404, failure.providerMessage) ?? 'check the URL'
      }`;
      break;
    case 'rate_limited':
      message = `${what} was still rate limited (${status}) after ${tries}${said}: wait and try again, send fewer or smaller requests, or raise the provider quota`;
      break;
    case 'server_error':
      message = `${what} failed with ${status} after ${tries}${said}: the model server is failing; try again later or check its logs`;
      break;
    case 'timeout':
      message = `${what} timed out after ${options.timeoutMs} ms (${tries}): is the server at ${origin} overloaded or still loading the model? Raise the timeout if it is only slow`;
      break;
    case 'network':
      message =
        failure.code === 'ENOTFOUND'
          ? `${what} failed: host ${target.hostname} could not be resolved; check the URL and your network`
          : failure.code === 'ECONNREFUSED'
            ? `${what} failed: connection refused (${tries}); is the server at ${origin} running?`
            : `${what} failed with a network error (${failure.code ?? describeCause(failure.cause)}, ${tries}); is the server at ${origin} running and reachable?`;
      break;
    default: {
      const hint = options.hint?.(failure.status ?? 400, failure.providerMessage);
      message = `${what} was refused with ${status}${said}${hint ? `: ${hint}` : ''}`;
    }
  }
  return upstreamError(
    message,
    {
      service,
      url,
      reason: failure.reason,
      attempts,
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      ...(failure.providerMessage !== undefined
        ? { providerMessage: failure.providerMessage }
        : {}),
      ...(failure.code !== undefined ? { networkCode: failure.code } : {}),
    },
    failure.cause,
  );
}

/** The server's error message: OpenAI `{error:{message}}`, `{error:"…"}`, `{message}`, FastAPI `{detail}`, or the text. */
export function errorMessageOf(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown> | null;
    if (body && typeof body === 'object') {
      const error = body.error;
      if (typeof error === 'string') return clip(error);
      if (error && typeof error === 'object') {
        const message = (error as Record<string, unknown>).message;
        if (typeof message === 'string') return clip(message);
      }
      if (typeof body.message === 'string') return clip(body.message);
      if (typeof body.detail === 'string') return clip(body.detail);
      if (body.detail !== undefined) return clip(JSON.stringify(body.detail));
    }
  } catch {
    // Not JSON: an HTML error page from a proxy, plain text, …
  }
  return preview(text);
}

/** The `code` of a fetch failure (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`, …), looking through causes. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) {
      const inner = networkCode(nested[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function preview(text: string): string {
  return clip(text.replace(/\s+/g, ' ').trim());
}
