import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Mnemos } from '../mnemos.js';
import type { AppEnv } from './app.js';
import { tenantOf } from './request-scope.js';
import { body, errorResponses, json, PageQuery, requireAdmin } from './route-common.js';

const KeySchema = z
  .object({
    id: z.string(),
    prefix: z.string(),
    name: z.string(),
    appId: z.string(),
    tenantId: z.string(),
    admin: z.boolean(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

const AuditSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    tenantId: z.string(),
    keyId: z.string(),
    method: z.string(),
    path: z.string(),
    status: z.number(),
    store: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('AuditEntry');

const ProfileEntrySchema = z
  .object({
    key: z.string(),
    value: z.string(),
    source: z.enum(['user', 'extracted']),
    memoryId: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi('ProfileEntry');

const KeyParam = z.object({ key: z.string().openapi({ param: { name: 'key', in: 'path' } }) });

/** API keys (admin), the audit trail of requests, and the tenant's user profile. */
export function adminRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/keys',
      tags: ['keys'],
      summary: 'Create an API key (admin); the secret is in this response only',
      request: body(
        z
          .object({
            appId: z.string(),
            tenantId: z.string(),
            admin: z.boolean().optional(),
            name: z.string().optional(),
          })
          .strict(),
      ),
      responses: {
        201: json(z.object({ key: z.string(), record: KeySchema }), 'The key and its record'),
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c.get('tenant'));
      return c.json(await mnemos.keys.create(c.req.valid('json')), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/keys',
      tags: ['keys'],
      summary: 'List API keys (admin)',
      responses: { 200: json(z.object({ keys: z.array(KeySchema) }), 'Keys'), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('tenant'));
      return c.json({ keys: await mnemos.keys.list() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/keys/{key}',
      tags: ['keys'],
      summary: 'Revoke an API key (admin)',
      request: { params: KeyParam },
      responses: { 204: { description: 'Revoked' }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('tenant'));
      await mnemos.keys.revoke(c.req.valid('param').key);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/requests',
      tags: ['audit'],
      summary: 'Mutating requests of the tenant, newest first (audit trail)',
      request: { query: PageQuery },
      responses: {
        200: json(z.object({ requests: z.array(AuditSchema) }), 'Requests'),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json(
        { requests: await mnemos.keys.requests(tenantOf(c.get('tenant')), c.req.valid('query')) },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/profile',
      tags: ['profile'],
      summary: 'The user profile of the tenant',
      responses: {
        200: json(z.object({ profile: z.array(ProfileEntrySchema) }), 'Profile'),
        ...errorResponses,
      },
    }),
    async (c) => c.json({ profile: await mnemos.profile.get(tenantOf(c.get('tenant'))) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/profile/{key}',
      tags: ['profile'],
      summary: 'Set one profile key',
      request: { params: KeyParam, ...body(z.object({ value: z.string() }).strict()) },
      responses: { 200: json(ProfileEntrySchema, 'The entry'), ...errorResponses },
    }),
    async (c) =>
      c.json(
        await mnemos.profile.set(
          tenantOf(c.get('tenant')),
          c.req.valid('param').key,
          c.req.valid('json').value,
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/profile/{key}',
      tags: ['profile'],
      summary: 'Remove one profile key',
      request: { params: KeyParam },
      responses: {
        200: json(z.object({ removed: z.boolean() }), 'Whether it was set'),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json(
        {
          removed: await mnemos.profile.unset(tenantOf(c.get('tenant')), c.req.valid('param').key),
        },
        200,
      ),
  );
}
