import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Mnemos } from '../mnemos.js';
import type { AppEnv } from './app.js';
import { body, errorResponses, json, requireAdmin } from './route-common.js';

/** A memory store. */
export const StoreSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    embedderId: z.string(),
    dimensions: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Store');

const NameParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' } }) });

/** Store CRUD: everyone may read; creating, changing and deleting need an admin key. */
export function storeRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/stores',
      tags: ['stores'],
      summary: 'List memory stores',
      responses: {
        200: json(z.object({ stores: z.array(StoreSchema), count: z.number() }), 'Stores'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const stores = await mnemos.stores.list();
      return c.json({ stores, count: stores.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/stores',
      tags: ['stores'],
      summary: 'Create a memory store (admin)',
      request: body(z.object({ name: z.string(), description: z.string().optional() }).strict()),
      responses: { 201: json(StoreSchema, 'The new store'), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('tenant'));
      return c.json(await mnemos.stores.create(c.req.valid('json')), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/stores/{name}',
      tags: ['stores'],
      summary: 'Describe a memory store',
      request: { params: NameParam },
      responses: { 200: json(StoreSchema, 'The store'), ...errorResponses },
    }),
    async (c) => c.json(await mnemos.stores.get(c.req.valid('param').name), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/stores/{name}',
      tags: ['stores'],
      summary: 'Change a store’s description (admin)',
      request: { params: NameParam, ...body(z.object({ description: z.string() }).strict()) },
      responses: { 200: json(StoreSchema, 'The store'), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('tenant'));
      return c.json(
        await mnemos.stores.update(c.req.valid('param').name, c.req.valid('json')),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/stores/{name}',
      tags: ['stores'],
      summary: 'Delete a store with all its memories (admin)',
      request: { params: NameParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c.get('tenant'));
      await mnemos.stores.delete(c.req.valid('param').name);
      return c.body(null, 204);
    },
  );
}
