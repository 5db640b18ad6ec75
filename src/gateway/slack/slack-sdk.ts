import { type Logger, LogLevel, webApi } from '@slack/bolt';
import { MnemosError } from '../../core/errors.js';
import type { AdapterOptions } from '../platform/gateway-adapter.js';

/** A failed `auth.test` or `apps.connections.open` as a clear error naming the token's variable. */
export function startError(error: unknown, tokenEnv: string): MnemosError {
  if (error instanceof MnemosError) return error;
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = String(error.data.error);
    if (
      [
        'invalid_auth',
        'not_authed',
        'account_inactive',
        'token_revoked',
        'not_allowed_token_type',
      ].includes(code)
    ) {
      return new MnemosError('unauthorized', `slack: Slack refused ${tokenEnv} (${code})`, {
        details: { error: code },
      });
    }
    return new MnemosError('upstream_error', `slack: Slack answered ${code} at start`, {
      category: 'upstream',
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new MnemosError('upstream_error', `slack: could not connect: ${reason}`, {
    category: 'upstream',
    cause: error,
  });
}

/** A failed `chat.postMessage` after the client's retries. */
export function sendError(error: unknown, sent: number, total: number): MnemosError {
  const details = { sent, total };
  if (error instanceof webApi.WebAPIPlatformError) {
    return new MnemosError(
      'upstream_error',
      `slack: chat.postMessage failed: ${String(error.data.error)}`,
      {
        category: 'upstream',
        details: { ...details, error: String(error.data.error) },
      },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  const code = /rate limit/iu.test(reason) ? 'rate_limited' : 'upstream_error';
  return new MnemosError(code, `slack: chat.postMessage failed: ${reason}`, {
    category: 'upstream',
    details,
    cause: error,
  });
}

/** Bolt's and the Slack SDK's logger, writing through the gateway's log (errors as warnings). */
export function slackLogger(log: AdapterOptions['log']): Logger {
  let level = LogLevel.INFO;
  const text = (parts: unknown[]): string =>
    `slack: ${parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : safeJson(part))).join(' ')}`;
  const debug = (): boolean => level === LogLevel.DEBUG;
  return {
    debug: (...parts) => (debug() ? log('debug', text(parts)) : undefined),
    info: (...parts) => log('info', text(parts)),
    warn: (...parts) => log('warn', text(parts)),
    error: (...parts) => log('warn', text(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
