import { isIP } from 'node:net';
import { Agent, fetch, type Response } from 'undici';
import { MnemosError } from '../../../core/errors.js';
import { guardedLookup, type WebAddressPolicy } from '../web-address-policy.js';
import { errorCode, readCapped, refusedIn } from '../web-fetch.js';

/** Which addresses an OpenAPI request may reach, and the setting that widens it. */
export interface OpenApiAddressRules {
  policy: WebAddressPolicy;
  /** Setting named in refusals, e.g. `agent.web.allow_hosts`. */
  allowSetting: string;
}

/** One request of an OpenAPI tool (its document or a call). */
export interface GuardedRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** Whole exchange including reading the body. */
  timeoutMs: number;
  /** The turn's signal: cancelling it ends the request. */
  signal?: AbortSignal | undefined;
  /** Most body bytes read; the rest is dropped and `truncated` set. */
  maxBytes: number;
  /** Who is asking, first words of every error, e.g. `openapi tool shop_get_order`. */
  label: string;
}

/** The answer of a {@link guardedFetch}. */
export interface GuardedResponse {
  /** Final address after same-origin redirects. */
  url: URL;
  status: number;
  statusText: string;
  contentType: string;
  /** Content-Length the server announced, when it did. */
  contentLength: number | undefined;
  bytes: Buffer;
  truncated: boolean;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 5;

/**
 * A request to an address the rules allow (an IP literal checked here, a host name at DNS lookup,
 * on every redirect hop), following redirects only within the first address's origin so headers
 * carrying secrets never reach another host. Failures throw a {@link MnemosError} that starts with
 * `label` and says what to do.
 */
export async function guardedFetch(
  address: URL,
  request: GuardedRequest,
  rules: OpenApiAddressRules,
): Promise<GuardedResponse> {
  let url = checkedAddress(address, request.label, rules);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const fail = (error: unknown): never => {
    if (MnemosError.isInstance(error)) throw error;
    if (request.signal?.aborted) {
      throw new MnemosError('closed', `${request.label}: cancelled`, { cause: error });
    }
    throw unreachable(error, url, request, timeout.aborted);
  };
  // Each request has its own connection pool whose DNS lookups go through the address guard.
  const dispatcher = new Agent({
    connect: { lookup: guardedLookup(rules.policy, rules.allowSetting) },
  });
  let method = request.method;
  let body = request.body;
  try {
    let response: Response;
    for (let hop = 0; ; hop += 1) {
      response = await fetch(url, {
        method,
        headers: body === undefined ? omit(request.headers, 'content-type') : request.headers,
        body,
        signal,
        redirect: 'manual',
        dispatcher,
      }).catch(fail);
      const location = response.headers.get('location');
      if (!redirectStatuses.has(response.status) || location === null) break;
      await response.body?.cancel().catch(() => undefined);
      const next = new URL(location, url);
      if (next.origin !== url.origin) {
        throw new MnemosError(
          'upstream_error',
          `${request.label}: ${url.origin} redirected to ${next.origin}, another host; Mnemos does not follow it (set base_url to the address that answers)`,
          { category: 'upstream' },
        );
      }
      if (hop >= maxRedirects) {
        throw new MnemosError(
          'upstream_error',
          `${request.label}: more than ${maxRedirects} redirects from ${address.href}`,
          { category: 'upstream' },
        );
      }
      // As browsers do: 303, and 301/302 after a POST, repeat the request as a GET without body.
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
      }
      url = checkedAddress(next, request.label, rules);
    }
    const read = response.body
      ? await readCapped(response.body as ReadableStream<Uint8Array>, request.maxBytes).catch(fail)
      : { bytes: Buffer.alloc(0), truncated: false };
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    return {
      url,
      status: response.status,
      statusText: response.statusText,
      contentType: response.headers.get('content-type') ?? '',
      contentLength: Number.isFinite(length) ? length : undefined,
      ...read,
    };
  } finally {
    void dispatcher.destroy().catch(() => undefined);
  }
}

function omit(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}

/** The address if it is http(s) and, when an IP literal, one the rules allow. */
function checkedAddress(url: URL, label: string, rules: OpenApiAddressRules): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MnemosError(
      'invalid_input',
      `${label}: only http and https addresses can be reached, not ${url.protocol} (${url.href})`,
    );
  }
  const host = url.hostname.replace(/^\[|\]$/gu, '');
  // An IP literal never goes through DNS, so the socket's lookup guard would not see it.
  if (isIP(host) && !rules.policy.allowsHost(host)) {
    const reason = rules.policy.refusal(host);
    if (reason) {
      throw new MnemosError(
        'forbidden',
        `${label}: refused to reach ${url.host}: ${reason}; only public addresses can be reached unless ${rules.allowSetting} lists the host`,
      );
    }
  }
  return url;
}

function unreachable(
  error: unknown,
  url: URL,
  request: GuardedRequest,
  timedOut: boolean,
): MnemosError {
  const refused = refusedIn(error);
  if (refused) {
    return new MnemosError('forbidden', `${request.label}: ${refused.message}`, { cause: error });
  }
  if (timedOut) {
    return new MnemosError(
      'upstream_error',
      `${request.label}: ${url.host} gave no complete answer within ${request.timeoutMs} ms (timeout_ms); try again later or raise timeout_ms`,
      { category: 'upstream', cause: error },
    );
  }
  const code = errorCode(error);
  let detail: string;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') detail = `DNS lookup failed, ${code}`;
  else if (code === 'ECONNREFUSED') detail = 'connection refused';
  else if (code) detail = code;
  else detail = error instanceof Error ? error.message : String(error);
  return new MnemosError(
    'upstream_error',
    `${request.label}: could not reach ${url.host} (${detail})`,
    { category: 'upstream', cause: error },
  );
}
