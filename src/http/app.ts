import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { MnemosError } from '../core/errors.js';
import { inputError } from '../core/schemas.js';
import type { Mnemos } from '../mnemos.js';
import { adminRoutes } from './admin-routes.js';
import { AgentHost } from './agent-host.js';
import { agentRoutes } from './agent-routes.js';
import { cronRoutes } from './cron-routes.js';
import { errorResponse } from './http-errors.js';
import { checkJsonBody } from './json-body.js';
import { type Logger, requestLog } from './logger.js';
import { memoryRoutes } from './memory-routes.js';
import { ServerMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';
import { sessionRoutes } from './session-routes.js';
import { skillRoutes } from './skill-routes.js';
import { storeRoutes } from './store-routes.js';
import { TeamHost } from './team-host.js';
import { teamRoutes } from './team-routes.js';
import type { TenantContext } from './tenant-context.js';

/** Variables a request carries through the middleware. */
export interface AppEnv {
  Variables: { tenant: TenantContext; requestId: string };
}

/** What the HTTP app is built from. */
export interface AppOptions {
  mnemos: Mnemos;
  log: Logger;
  /** Requests per minute per API key; 0 turns limiting off. Default 600. */
  rateLimitPerMinute?: number;
  /** Largest request body, bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** When set, `/metrics` needs `Authorization: Bearer <this>`; the value comes from the environment. */
  metricsKey?: string | undefined;
  /** Serves MCP at `/mcp` (streamable HTTP) when given. */
  mcp?: (request: Request, tenant: TenantContext) => Promise<Response>;
}

const open = new Set(['/health', '/metrics', '/openapi.json']);

/** The Mnemos HTTP API: `/v1` routes behind API keys, `/health`, `/metrics`, `/openapi.json`, `/mcp`. */
export function createApp(options: AppOptions): {
  app: OpenAPIHono<AppEnv>;
  metrics: ServerMetrics;
  agents: AgentHost;
  teams: TeamHost;
} {
  const { mnemos, log } = options;
  const metrics = new ServerMetrics(mnemos);
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? 600);
  const agents = new AgentHost(mnemos, metrics);
  const teams = new TeamHost(mnemos, metrics);
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const error = inputError(
        result.error.issues,
        (result as { data?: unknown }).data,
        'invalid request',
      );
      return c.json({ error: error.toJSON() }, 400);
    },
  });

  app.onError((error, c) => {
    const mapped = malformedJson(error) ?? honoClientError(error) ?? errorResponse(error);
    if (mapped.status >= 500)
      log.error('request failed', { requestId: c.get('requestId'), error: String(error) });
    return c.json(mapped.body, mapped.status as 400);
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'not_found',
          message: `no route for ${c.req.method} ${c.req.path}`,
          details: {},
        },
      },
      404,
    ),
  );

  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('requestId', c.req.header('x-request-id') ?? randomUUID());
    await next();
    const route = c.req.routePath || 'unmatched';
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.latency.observe({ route, method: c.req.method }, seconds);
    c.header('x-request-id', c.get('requestId'));
    log.info('request', requestLog(c, route, seconds));
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      // The unread rest of the body makes the connection unusable: tell the client to drop it
      // instead of sending its next request on a socket the server is about to close.
      onError: (c) =>
        c.json(
          {
            error: {
              code: 'payload_too_large',
              message: `request body over ${options.maxBodyBytes ?? 1024 * 1024} bytes`,
              details: {},
            },
          },
          413,
          { connection: 'close' },
        ),
    }),
  );

  app.use('*', async (c, next) => {
    // Requests without a valid API key (open routes, refused keys) share a budget per client
    // address, so neither guessing keys nor scraping open routes is free.
    if (open.has(c.req.path)) {
      throttle(c, limiter, `address:${clientAddress(c)}`, 'this client address');
      if (c.req.path === '/metrics' && options.metricsKey !== undefined)
        checkMetricsKey(c, options.metricsKey);
      return next();
    }
    let tenant: TenantContext;
    try {
      tenant = await authenticate(c, mnemos);
    } catch (error) {
      throttle(c, limiter, `address:${clientAddress(c)}`, 'this client address');
      throw error;
    }
    throttle(c, limiter, tenant.keyId, 'this API key');
    c.set('tenant', tenant);
    await next();
    if (mutating(c)) {
      await mnemos.keys.audit({
        appId: tenant.appId,
        tenantId: tenant.tenantId,
        keyId: tenant.keyId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        store: c.req.query('store') ?? null,
      });
    }
  });

  // After authentication, before any route reads the body.
  for (const path of ['/v1/*', '/mcp'])
    app.use(path, async (c, next) => {
      await checkJsonBody(c);
      await next();
    });

  app.get('/health', (c) => c.json({ ok: true, storage: mnemos.storageKind }));
  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  storeRoutes(app, mnemos);
  memoryRoutes(app, mnemos);
  sessionRoutes(app, mnemos, agents);
  skillRoutes(app, mnemos);
  teamRoutes(app, mnemos, teams);
  agentRoutes(app, mnemos);
  cronRoutes(app, mnemos);
  adminRoutes(app, mnemos);
  if (options.mcp) {
    const mcp = options.mcp;
    app.all('/mcp', async (c) => {
      const raw = c.req.raw;
      // The body check read the body; the MCP transport gets it again from Hono's cache.
      const request = raw.bodyUsed
        ? new Request(raw.url, {
            method: raw.method,
            headers: raw.headers,
            body: await c.req.arrayBuffer(),
          })
        : raw;
      return mcp(request, c.get('tenant'));
    });
  }
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Mnemos',
      version: '1',
      description:
        'Memory for agents: stores, memories, sessions, the agent, agent definitions, skills, teams, cron jobs, API keys. Every /v1 route needs `Authorization: Bearer <API key>`.',
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
  });
  return { app, metrics, agents, teams };
}

/** The tenant of a request's API key; admin keys may name another tenant in `x-mnemos-app`/`x-mnemos-tenant`. */
async function authenticate(c: Context<AppEnv>, mnemos: Mnemos): Promise<TenantContext> {
  const header = c.req.header('authorization') ?? '';
  const presented = header.toLowerCase().startsWith('bearer ')
    ? header.slice(7).trim()
    : (c.req.header('x-api-key') ?? '');
  if (presented === '') {
    throw new MnemosError(
      'unauthorized',
      'missing API key: send `Authorization: Bearer <key>` (create one with `mnemos keys create`)',
    );
  }
  const record = await mnemos.keys.authenticate(presented);
  if (!record) throw new MnemosError('unauthorized', 'unknown or revoked API key');
  const context: TenantContext = {
    keyId: record.id,
    appId: record.appId,
    tenantId: record.tenantId,
    admin: record.admin,
  };
  if (record.admin) {
    context.appId = c.req.header('x-mnemos-app') ?? context.appId;
    context.tenantId = c.req.header('x-mnemos-tenant') ?? context.tenantId;
  }
  return context;
}

/** Takes one request from a bucket; a 429 with `retry-after` when it is empty. */
function throttle(c: Context<AppEnv>, limiter: RateLimiter, bucket: string, whose: string): void {
  const wait = limiter.take(bucket);
  if (wait <= 0) return;
  c.header('retry-after', String(wait));
  throw new MnemosError('rate_limited', `rate limit of ${whose} reached; retry in ${wait} s`, {
    details: { retryAfterSeconds: wait },
  });
}

/** The peer's address as the socket saw it (proxy headers can be forged, so they are not read). */
function clientAddress(c: Context<AppEnv>): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/** Refuses a `/metrics` request whose bearer token is not the metrics key (compared in constant time). */
function checkMetricsKey(c: Context<AppEnv>, expected: string): void {
  const header = c.req.header('authorization') ?? '';
  const presented = header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : '';
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  if (presented !== '' && timingSafeEqual(digest(presented), digest(expected))) return;
  c.header('www-authenticate', 'Bearer');
  throw new MnemosError(
    'unauthorized',
    presented === ''
      ? '/metrics needs the metrics key: send `Authorization: Bearer <metrics key>`'
      : 'wrong metrics key',
  );
}

function mutating(c: Context<AppEnv>): boolean {
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return false;
  // Only the search route itself reads with POST: a profile key or session id named `search`
  // (`PUT /v1/profile/search`, `DELETE /v1/sessions/search`) is a write like any other.
  if (c.req.method === 'POST' && c.req.path === '/v1/memories/search') return false;
  return c.req.path !== '/mcp';
}

/** Hono's own 4xx errors (e.g. 415 for a body that is not JSON) in the shared shape, not as 500. */
function honoClientError(error: unknown): { status: number; body: unknown } | null {
  if (!(error instanceof HTTPException) || error.status < 400 || error.status >= 500) return null;
  const message =
    error.status === 415
      ? 'unsupported media type: send the body as JSON with `Content-Type: application/json`'
      : error.message || `HTTP ${error.status}`;
  return {
    status: error.status,
    body: { error: { code: 'invalid_input', message, details: {} } },
  };
}

function malformedJson(error: unknown): { status: number; body: unknown } | null {
  const message = error instanceof Error ? error.message : '';
  if (!/malformed json|unexpected token|json/i.test(message) || MnemosError.isInstance(error))
    return null;
  if (!('status' in (error as object)) || (error as { status: number }).status !== 400) return null;
  return {
    status: 400,
    body: {
      error: { code: 'invalid_input', message: 'request body is not valid JSON', details: {} },
    },
  };
}
