import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/** What the test API saw: requests per path and the last headers of each. */
export interface OpenApiServerLog {
  counts: Map<string, number>;
  headers: Map<string, Record<string, string>>;
  bodies: unknown[];
}

/** A running test API with its own OpenAPI document at `/openapi.json`. */
export interface OpenApiTestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  log: OpenApiServerLog;
  /** The document served at `/openapi.json`. */
  document: Record<string, unknown>;
  /** How many requests reached `path` (without query). */
  count(path: string): number;
  stop(): Promise<void>;
}

/** The bearer token `GET /orders/{id}` accepts. */
export const orderToken = 'order-token-123';
/** The key `GET /search` accepts in `X-Api-Key` or query `api_key`. */
export const searchKey = 'search-key-456';

/** The test API's document: OpenAPI 3.1, paths under the relative server `/v1`. */
export function openApiTestDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Shop', version: '1.0.0' },
    servers: [{ url: '/v1' }],
    paths: {
      '/orders/{id}': {
        parameters: [{ $ref: '#/components/parameters/OrderId' }],
        get: {
          operationId: 'getOrder',
          summary: 'Get an order by id.',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'expand',
              in: 'query',
              schema: { type: 'boolean' },
              description: 'Include lines.',
            },
          ],
          responses: {
            '200': {
              description: 'The order',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
            },
          },
        },
      },
      '/tickets': {
        post: {
          operationId: 'createTicket',
          summary: 'Open a support ticket.',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/TicketInput' } },
            },
          },
          responses: { '201': { description: 'Created' } },
        },
      },
      '/search': {
        get: {
          operationId: 'searchItems',
          summary: 'Search the catalogue.',
          description: 'Full-text search over items.',
          parameters: [
            { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          ],
          responses: { '200': { description: 'Hits' } },
        },
      },
      '/categories': {
        put: {
          operationId: 'replace-Categories',
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Category' } } },
          },
          responses: { '204': { description: 'Replaced' } },
        },
      },
      '/broken': { get: { responses: { '500': { description: 'Always fails' } } } },
      '/slow': {
        get: { operationId: 'slowReport', responses: { '200': { description: 'Never' } } },
      },
      '/big': { get: { operationId: 'bigReport', responses: { '200': { description: '1 MB' } } } },
      '/away': {
        get: { operationId: 'goAway', responses: { '302': { description: 'Elsewhere' } } },
      },
      '/upload': {
        post: {
          operationId: 'uploadFile',
          requestBody: {
            required: true,
            content: { 'application/octet-stream': { schema: { type: 'string' } } },
          },
          responses: { '200': { description: 'Stored' } },
        },
      },
    },
    components: {
      parameters: {
        OrderId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
      },
      schemas: {
        Order: {
          type: 'object',
          properties: { id: { type: 'string' }, item: { type: 'string' } },
        },
        TicketInput: {
          type: 'object',
          required: ['title'],
          properties: {
            title: { type: 'string', minLength: 1 },
            priority: { type: 'string', enum: ['low', 'high'] },
          },
        },
        Category: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            children: { type: 'array', items: { $ref: '#/components/schemas/Category' } },
          },
        },
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}

/** Starts the test API on 127.0.0.1 at a free port. */
export async function startOpenApiServer(): Promise<OpenApiTestServer> {
  const log: OpenApiServerLog = { counts: new Map(), headers: new Map(), bodies: [] };
  const document = openApiTestDocument();
  const hanging = new Set<() => void>();
  let origin = '';
  const app = new Hono();
  app.use('*', async (c, next) => {
    const path = new URL(c.req.url).pathname;
    log.counts.set(path, (log.counts.get(path) ?? 0) + 1);
    log.headers.set(path, Object.fromEntries(c.req.raw.headers));
    await next();
  });
  app.get('/openapi.json', (c) => c.json(document));
  app.get('/v1/orders/:id', (c) => {
    if (c.req.header('authorization') !== `Bearer ${orderToken}`) {
      return c.json({ error: 'missing or wrong bearer token' }, 401);
    }
    return c.json({ id: c.req.param('id'), item: 'teapot', expand: c.req.query('expand') ?? null });
  });
  app.post('/v1/tickets', async (c) => {
    const body = (await c.req.json()) as Record<string, unknown>;
    log.bodies.push(body);
    return c.json({ id: 't-1', title: body.title }, 201);
  });
  app.get('/v1/search', (c) => {
    const key = c.req.header('x-api-key') ?? c.req.query('api_key');
    if (key !== searchKey) return c.json({ error: 'bad key' }, 403);
    return c.json({ q: c.req.query('q'), tags: c.req.queries('tags') ?? [], hits: 2 });
  });
  app.get('/v1/broken', (c) => c.json({ error: 'database on fire' }, 500));
  app.get('/v1/slow', async (c) => {
    // Holds the answer until the test ends (or the server stops).
    await new Promise<void>((resolve) => hanging.add(resolve));
    return c.text('late');
  });
  app.get('/v1/big', (c) => c.text('x'.repeat(1024 * 1024)));
  app.get('/v1/away', (c) => c.redirect(`${origin.replace('127.0.0.1', 'localhost')}/v1/big`, 302));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(started),
    );
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    log,
    document,
    count: (path) => log.counts.get(path) ?? 0,
    stop: async () => {
      for (const resolve of hanging) resolve();
      await new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      });
    },
  };
}
