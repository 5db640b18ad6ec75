import { type ErrorCategory, type ErrorCode, MnemosError } from '../core/errors.js';

/** Every code the server may send; a `Record` so a new `ErrorCode` fails to compile until listed. */
const knownCodes: Record<ErrorCode, true> = {
  invalid_input: true,
  invalid_scope: true,
  limit_exceeded: true,
  not_found: true,
  already_exists: true,
  conflict: true,
  embedder_mismatch: true,
  store_not_found: true,
  job_failed: true,
  storage_error: true,
  lease_lost: true,
  config_error: true,
  upstream_error: true,
  unauthorized: true,
  forbidden: true,
  rate_limited: true,
  quota_exceeded: true,
  payload_too_large: true,
  internal_error: true,
  closed: true,
};

/** Why the service could not be reached: `network` (refused, reset, DNS) or `timeout`. */
export type UnreachableReason = 'network' | 'timeout';

/**
 * The MnemosError of a non-2xx answer: the server's code, message and details when it sent the
 * shared error body; `internal_error` (with the status and the code it did send) otherwise.
 */
export function errorFromResponse(status: number, text: string): MnemosError {
  const body = parseJson(text) as {
    error?: { code?: unknown; message?: unknown; details?: unknown };
  };
  const sent = body && typeof body === 'object' ? body.error : undefined;
  if (sent && typeof sent.code === 'string' && typeof sent.message === 'string') {
    const details = isRecord(sent.details) ? sent.details : {};
    if (Object.hasOwn(knownCodes, sent.code)) {
      const code = sent.code as ErrorCode;
      return new MnemosError(code, sent.message, { category: categoryOf(status, code), details });
    }
    return new MnemosError('internal_error', sent.message, {
      category: categoryOf(status, 'internal_error'),
      details: { ...details, status, code: sent.code },
    });
  }
  return new MnemosError(
    'internal_error',
    `the Mnemos service answered HTTP ${status} without an error body`,
    {
      category: categoryOf(status, 'internal_error'),
      details: { status, body: text.slice(0, 200) },
    },
  );
}

/** The `upstream_error` of a request that got no answer. */
export function unreachable(
  reason: UnreachableReason,
  request: { baseUrl: string; method: string; path: string; timeoutMs: number },
  cause: unknown,
): MnemosError {
  const why =
    reason === 'timeout' ? `no answer within ${request.timeoutMs} ms` : describeCause(cause);
  return new MnemosError(
    'upstream_error',
    `cannot reach the Mnemos service at ${request.baseUrl} (${request.method} ${request.path}): ${why}`,
    {
      category: 'upstream',
      details: {
        reason,
        method: request.method,
        path: request.path,
        ...(reason === 'timeout' ? { timeoutMs: request.timeoutMs } : {}),
        ...(systemCode(cause) ? { cause: systemCode(cause) } : {}),
      },
      cause,
    },
  );
}

/** True for errors meaning the service is unavailable (not reachable, or failing as a whole). */
export function isUnavailable(error: unknown): boolean {
  if (!MnemosError.isInstance(error)) return false;
  if (error.code === 'upstream_error' || error.code === 'closed') return true;
  const status = error.details.status;
  return error.code === 'internal_error' && typeof status === 'number' && status >= 502;
}

function categoryOf(status: number, code: ErrorCode): ErrorCategory {
  if (code === 'upstream_error') return 'upstream';
  return status >= 500 ? 'system' : 'user';
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:8787`: undici hides the reason in `cause`. */
function describeCause(cause: unknown): string {
  const messages: string[] = [];
  for (let current = cause, depth = 0; current && depth < 4; depth++) {
    if (current instanceof Error && current.message) messages.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  return messages.join(': ') || String(cause);
}

/** The code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) of a fetch failure, from its `cause` chain. */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
