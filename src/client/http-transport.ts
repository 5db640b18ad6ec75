import { MnemosError } from '../core/errors.js';
import { errorFromResponse, unreachable } from './client-errors.js';
import type { CallOptions, ClientOptions } from './types.js';

/** A query string value; `undefined` leaves the parameter out. */
export type QueryValue = string | number | boolean | undefined;

/** One request of the transport. */
export interface TransportRequest extends CallOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An open response whose body the caller reads; `release` ends the caller-signal link. */
export interface OpenResponse {
  response: Response;
  release(): void;
}

const defaultTimeoutMs = 30_000;

/**
 * Sends authenticated JSON requests to the Mnemos HTTP API and turns every failure into a
 * MnemosError: the server's own error, or `upstream_error` when no answer came (network, timeout).
 */
export class HttpTransport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.headers = { ...options.headers, authorization: `Bearer ${options.apiKey}` };
  }

  /** Sends a request and parses the JSON answer (`undefined` for 204). */
  async json<T>(method: string, path: string, init: TransportRequest = {}): Promise<T> {
    const { response, release, timer } = await this.send(method, path, init);
    try {
      const text = await this.read(response, method, path, init, timer);
      if (!response.ok) throw errorFromResponse(response.status, text);
      return parseBody(text, response.status) as T;
    } finally {
      timer.clear();
      release();
    }
  }

  /**
   * Sends a request and hands back the response once its headers arrived (the timeout ends there),
   * for the caller to stream the body; a non-2xx answer is thrown as its MnemosError.
   */
  async open(method: string, path: string, init: TransportRequest = {}): Promise<OpenResponse> {
    const { response, release, timer } = await this.send(method, path, init);
    if (response.ok) {
      timer.clear();
      return { response, release };
    }
    try {
      throw errorFromResponse(
        response.status,
        await this.read(response, method, path, init, timer),
      );
    } finally {
      timer.clear();
      release();
    }
  }

  /** The MnemosError of a failure while reading a body (caller aborts are rethrown as they are). */
  failure(
    error: unknown,
    method: string,
    path: string,
    init: CallOptions,
    timedOut: boolean,
  ): unknown {
    if (init.signal?.aborted) return init.signal.reason;
    if (MnemosError.isInstance(error)) return error;
    return unreachable(
      timedOut ? 'timeout' : 'network',
      { baseUrl: this.baseUrl, method, path, timeoutMs: init.timeoutMs ?? this.timeoutMs },
      error,
    );
  }

  private async send(
    method: string,
    path: string,
    init: TransportRequest,
  ): Promise<OpenResponse & { timer: Timer }> {
    init.signal?.throwIfAborted();
    const controller = new AbortController();
    const timer = new Timer(init.timeoutMs ?? this.timeoutMs, () => controller.abort());
    const onAbort = (): void => controller.abort(init.signal?.reason);
    init.signal?.addEventListener('abort', onAbort, { once: true });
    const release = (): void => init.signal?.removeEventListener('abort', onAbort);
    const headers: Record<string, string> = { ...this.headers, ...init.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.fetch(this.url(path, init.query), {
        method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: controller.signal,
      });
      return { response, release, timer };
    } catch (error) {
      timer.clear();
      release();
      throw this.failure(error, method, path, init, timer.fired);
    }
  }

  private async read(
    response: Response,
    method: string,
    path: string,
    init: CallOptions,
    timer: Timer,
  ): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.failure(error, method, path, init, timer.fired);
    }
  }

  private url(path: string, query: Record<string, QueryValue> = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }
}

/** A 2xx body: JSON, or nothing (204). */
function parseBody(text: string, status: number): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new MnemosError(
      'internal_error',
      `the Mnemos service answered HTTP ${status} with a body that is not JSON`,
      {
        category: 'system',
        details: { status, body: text.slice(0, 200) },
      },
    );
  }
}

/** A timeout that remembers whether it fired; 0 ms means none. */
class Timer {
  fired = false;
  private readonly handle: NodeJS.Timeout | undefined;

  constructor(ms: number, onFire: () => void) {
    this.handle =
      ms > 0
        ? setTimeout(() => {
            this.fired = true;
            onFire();
          }, ms)
        : undefined;
  }

  clear(): void {
    clearTimeout(this.handle);
  }
}

/** `/segment` with the value escaped for a path. */
export function segment(value: string): string {
  return `/${encodeURIComponent(value)}`;
}
