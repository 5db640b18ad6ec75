import type { Context } from 'hono';

/** Structured JSON logs, one line per event; fields never include secrets or memory text. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger writing JSON lines to a stream (stderr by default); `silent` drops everything. */
export function jsonLogger(stream: NodeJS.WritableStream = process.stderr, silent = false): Logger {
  const write = (level: string, message: string, fields: Record<string, unknown> = {}): void => {
    if (silent) return;
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`,
    );
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}

/** The fields of a request's log line: who, what route, how it ended; no bodies, no keys. */
export function requestLog(c: Context, route: string, seconds: number): Record<string, unknown> {
  const tenant = c.get('tenant') as { keyId: string; appId: string; tenantId: string } | undefined;
  return {
    requestId: c.get('requestId'),
    method: c.req.method,
    route,
    status: c.res.status,
    ms: Math.round(seconds * 10_000) / 10,
    ...(tenant ? { keyId: tenant.keyId, appId: tenant.appId, tenantId: tenant.tenantId } : {}),
  };
}
