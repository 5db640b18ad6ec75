import { type ErrorCode, MnemosError } from '../../core/errors.js';

/** Error code of failures of a model service (embedding, rerank, chat). */
export const UPSTREAM_ERROR_CODE: ErrorCode = 'upstream_error';

/** Why a call to a model service failed; in `details.reason`. */
export type UpstreamReason =
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'bad_response';

/** Details of an upstream error; JSON-safe and free of secrets (no headers, no API key). */
export interface UpstreamErrorDetails extends Record<string, unknown> {
  /** What was called, e.g. `embedding`, `rerank`. */
  service: string;
  url: string;
  reason: UpstreamReason;
  /** HTTP status, when the server answered. */
  status?: number;
  /** Requests made, retries included. */
  attempts: number;
  /** The server's own error message, when it sent one. */
  providerMessage?: string;
}

/** A `MnemosError` of category `upstream`: a model service failed or refused a request. */
export function upstreamError(
  message: string,
  details: UpstreamErrorDetails,
  cause?: unknown,
): MnemosError {
  return new MnemosError(UPSTREAM_ERROR_CODE, message, { category: 'upstream', details, cause });
}
