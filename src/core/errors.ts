/** Who is at fault for an error; maps to an HTTP status class and a CLI exit code. */
export type ErrorCategory = 'user' | 'system' | 'upstream';

/** Stable machine-readable error codes. */
export type ErrorCode =
  | 'invalid_input'
  | 'invalid_scope'
  | 'limit_exceeded'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'embedder_mismatch'
  | 'store_not_found'
  | 'job_failed'
  | 'storage_error'
  | 'lease_lost'
  | 'config_error'
  | 'upstream_error'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'payload_too_large'
  | 'internal_error'
  | 'closed';

const marker = Symbol.for('mnemos.error');

/** Base error of Mnemos: a stable code, a category, JSON-safe details and a cause. */
export class MnemosError extends Error {
  readonly [marker] = true;
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { category?: ErrorCategory; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'MnemosError';
    this.code = code;
    this.category = options.category ?? 'user';
    this.details = options.details ?? {};
  }

  /** True for any MnemosError, even one from another copy of the package. */
  static isInstance(value: unknown): value is MnemosError {
    return typeof value === 'object' && value !== null && marker in value;
  }

  /** The shared JSON error shape used by every surface. */
  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Shorthand for a user-input error with details. */
export function invalidInput(message: string, details: Record<string, unknown> = {}): MnemosError {
  return new MnemosError('invalid_input', message, { details });
}
