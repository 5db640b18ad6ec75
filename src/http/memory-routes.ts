import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Mnemos } from '../mnemos.js';
import type { AppEnv } from './app.js';
import {
  AddMemoriesBody,
  DeleteByScopeBody,
  HistorySchema,
  IdParam,
  JobSchema,
  ListQuery,
  MemorySchema,
  SearchBody,
  SearchResultSchema,
  UpdateBody,
} from './memory-schemas.js';
import { requestScope, tenantOf } from './request-scope.js';
import { body, errorResponses, json, PageQuery, StoreQuery } from './route-common.js';

/** Long-term memories of the key's tenant: add, search, list, get, update, delete, history. */
export function memoryRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/memories',
      tags: ['memories'],
      summary: 'Add memories (an asynchronous job; `sync: true` waits until searchable)',
      request: body(AddMemoriesBody),
      responses: {
        200: json(JobSchema, 'Finished job (sync)'),
        202: json(JobSchema, 'Accepted job'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const job = await mnemos.memories.add({
        ...input,
        scope: requestScope(c.get('tenant'), input.scope, 'write'),
      });
      return c.json(job, input.sync ? 200 : 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/memories/search',
      tags: ['memories'],
      summary: 'Hybrid search (BM25 + vectors, fused, scored for recency and use)',
      request: body(SearchBody),
      responses: {
        200: json(
          z.object({
            results: z.array(SearchResultSchema),
            warnings: z.array(z.string()),
            count: z.number(),
          }),
          'Results',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const output = await mnemos.memories.search({
        ...input,
        scope: requestScope(c.get('tenant'), input.scope, 'read'),
      });
      return c.json({ ...output, count: output.results.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/memories',
      tags: ['memories'],
      summary: 'List memories, newest first',
      request: { query: ListQuery },
      responses: {
        200: json(
          z.object({ memories: z.array(MemorySchema), total: z.number() }),
          'A page of memories',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const listed = await mnemos.memories.list({
        ...(query.store ? { store: query.store } : {}),
        scope: requestScope(
          c.get('tenant'),
          { agentId: query.agentId, runId: query.runId },
          'read',
        ),
        ...(query.kind ? { kinds: [query.kind] } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.offset !== undefined ? { offset: query.offset } : {}),
        includeDeleted: query.includeDeleted === 'true',
      });
      return c.json(listed, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/memories/delete-by-scope',
      tags: ['memories'],
      summary: 'Forget every memory matching a pattern inside the tenant',
      request: body(DeleteByScopeBody),
      responses: {
        200: json(z.object({ deleted: z.number() }), 'How many were forgotten'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const deleted = await mnemos.memories.deleteByScope({
        ...(input.store ? { store: input.store } : {}),
        scope: requestScope(c.get('tenant'), input.scope, 'read'),
      });
      return c.json({ deleted }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/memories/{id}',
      tags: ['memories'],
      summary: 'Get one memory',
      request: { params: IdParam, query: StoreQuery },
      responses: { 200: json(MemorySchema, 'The memory'), ...errorResponses },
    }),
    async (c) => {
      const { store } = c.req.valid('query');
      const memory = await mnemos.memories.get({
        ...(store ? { store } : {}),
        scope: tenantOf(c.get('tenant')),
        id: c.req.valid('param').id,
      });
      return c.json(memory, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/memories/{id}',
      tags: ['memories'],
      summary: 'Change a memory (history keeps the old text)',
      request: { params: IdParam, ...body(UpdateBody) },
      responses: { 200: json(MemorySchema, 'The memory'), ...errorResponses },
    }),
    async (c) => {
      const { store, ...patch } = c.req.valid('json');
      const memory = await mnemos.memories.update(
        {
          ...(store ? { store } : {}),
          scope: tenantOf(c.get('tenant')),
          id: c.req.valid('param').id,
        },
        patch,
      );
      return c.json(memory, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/memories/{id}',
      tags: ['memories'],
      summary: 'Forget a memory (soft; `purge=true` removes it and its history)',
      request: {
        params: IdParam,
        query: z
          .object({ store: z.string().optional(), purge: z.enum(['true', 'false']).optional() })
          .strict(),
      },
      responses: { 204: { description: 'Forgotten' }, ...errorResponses },
    }),
    async (c) => {
      const { store, purge } = c.req.valid('query');
      await mnemos.memories.delete({
        ...(store ? { store } : {}),
        scope: tenantOf(c.get('tenant')),
        id: c.req.valid('param').id,
        purge: purge === 'true',
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/memories/{id}/history',
      tags: ['memories'],
      summary: 'ADD, UPDATE, INVALIDATE and DELETE events of a memory',
      request: { params: IdParam, query: StoreQuery },
      responses: {
        200: json(z.object({ history: z.array(HistorySchema) }), 'History, oldest first'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { store } = c.req.valid('query');
      const history = await mnemos.memories.history({
        ...(store ? { store } : {}),
        scope: tenantOf(c.get('tenant')),
        id: c.req.valid('param').id,
      });
      return c.json({ history }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/jobs/{id}',
      tags: ['memories'],
      summary: 'An ingestion job',
      request: { params: IdParam, query: StoreQuery },
      responses: { 200: json(JobSchema, 'The job'), ...errorResponses },
    }),
    async (c) => {
      const { store } = c.req.valid('query');
      return c.json(
        await mnemos.memories.job({
          ...(store ? { store } : {}),
          scope: tenantOf(c.get('tenant')),
          id: c.req.valid('param').id,
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/memory-messages',
      tags: ['memories'],
      summary: 'Raw messages kept from ingestion (short-term memory), newest job first',
      request: { query: PageQuery.extend({ store: z.string().optional() }) },
      responses: {
        200: json(
          z.object({
            messages: z.array(
              z.object({
                jobId: z.string(),
                role: z.string(),
                content: z.string(),
                createdAt: z.string().nullable(),
                scope: z.record(z.string(), z.string()),
              }),
            ),
          }),
          'Messages',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const jobs = await mnemos.memories.jobs({
        ...(query.store ? { store: query.store } : {}),
        scope: tenantOf(c.get('tenant')),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.offset !== undefined ? { offset: query.offset } : {}),
      });
      const messages = jobs.flatMap((job) =>
        job.input.messages
          ? job.input.messages.map((message) => ({
              jobId: job.id,
              role: message.role,
              content: message.content,
              createdAt: message.createdAt ?? job.createdAt,
              scope: { ...job.scope },
            }))
          : job.input.text !== undefined
            ? [
                {
                  jobId: job.id,
                  role: 'user',
                  content: job.input.text,
                  createdAt: job.createdAt,
                  scope: { ...job.scope },
                },
              ]
            : [],
      );
      return c.json({ messages }, 200);
    },
  );
}
