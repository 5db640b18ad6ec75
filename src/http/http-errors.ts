import type { ErrorCode } from '../core/errors.js';
import { MnemosError } from '../core/errors.js';

const statusOf: Record<ErrorCode, number> = {
  invalid_input: 400,
  invalid_scope: 400,
  limit_exceeded: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  store_not_found: 404,
  already_exists: 409,
  conflict: 409,
  embedder_mismatch: 409,
  lease_lost: 409,
  payload_too_large: 413,
  rate_limited: 429,
  quota_exceeded: 429,
  job_failed: 500,
  internal_error: 500,
  storage_error: 500,
  config_error: 503,
  upstream_error: 502,
  closed: 503,
};

/** The HTTP status and the shared JSON body (`{error: {code, message, details}}`) of any error. */
export function errorResponse(error: unknown): {
  status: number;
  body: { error: ReturnType<MnemosError['toJSON']> };
} {
  if (MnemosError.isInstance(error)) {
    // The database is unreachable (`details.unavailable`): 503, retry later; not a server bug.
    const unavailable = error.code === 'storage_error' && error.details.unavailable === true;
    return {
      status: unavailable ? 503 : (statusOf[error.code] ?? 500),
      body: { error: error.toJSON() },
    };
  }
  return {
    status: 500,
    body: {
      error: { code: 'internal_error', message: 'internal error; see the server log', details: {} },
    },
  };
}
