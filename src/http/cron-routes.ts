import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Mnemos } from '../mnemos.js';
import type { AppEnv } from './app.js';
import {
  CronJobCreateSchema,
  CronJobSchema,
  CronJobUpdateSchema,
  CronNameParam,
  CronRunIdParam,
  CronRunSchema,
  cronJobJson,
  cronRunJson,
} from './cron-schemas.js';
import { tenantOf } from './request-scope.js';
import { body, errorResponses, json, PageQuery } from './route-common.js';

const tags = ['cron'];
const caller = { origin: 'http' } as const;

const conflict = {
  409: {
    description: 'A job of that name exists, or the job is already running',
    content: {
      'application/json': { schema: z.object({ error: z.record(z.string(), z.unknown()) }) },
    },
  },
} as const;

/**
 * Scheduled jobs of the key's tenant, created and run on the untrusted `http` surface (no `file:`
 * targets, no maintenance tasks); other tenants' jobs are never found. `run` makes a job due now:
 * the next tick of a scheduler (of any replica) runs it.
 */
export function cronRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cron',
      tags,
      summary: "The tenant's cron jobs by name",
      responses: {
        200: json(z.object({ jobs: z.array(CronJobSchema) }), 'The jobs'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const jobs = await mnemos.cron.list(tenantOf(c.get('tenant')));
      return c.json({ jobs: jobs.map(cronJobJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/cron',
      tags,
      summary: 'Schedule a job (origin `http`); validated whole before anything is stored',
      request: body(CronJobCreateSchema),
      responses: { 201: json(CronJobSchema, 'The job'), ...errorResponses, ...conflict },
    }),
    async (c) => {
      const job = await mnemos.cron.add(tenantOf(c.get('tenant')), c.req.valid('json'), caller);
      return c.json(cronJobJson(job), 201);
    },
  );

  // Static paths before `/v1/cron/{name}`, so `runs` is never read as a job's name.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cron/runs/{id}',
      tags,
      summary: 'One run of a cron job of the tenant',
      request: { params: CronRunIdParam },
      responses: { 200: json(CronRunSchema, 'The run'), ...errorResponses },
    }),
    async (c) => {
      const run = await mnemos.cron.run(tenantOf(c.get('tenant')), c.req.valid('param').id);
      return c.json(cronRunJson(run), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cron/{name}',
      tags,
      summary: 'One cron job of the tenant',
      request: { params: CronNameParam },
      responses: { 200: json(CronJobSchema, 'The job'), ...errorResponses },
    }),
    async (c) => {
      const job = await mnemos.cron.get(tenantOf(c.get('tenant')), c.req.valid('param').name);
      return c.json(cronJobJson(job), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/cron/{name}',
      tags,
      summary: 'Change a job; a new schedule computes its next run from now',
      request: { params: CronNameParam, ...body(CronJobUpdateSchema) },
      responses: { 200: json(CronJobSchema, 'The job'), ...errorResponses, ...conflict },
    }),
    async (c) => {
      const job = await mnemos.cron.update(
        tenantOf(c.get('tenant')),
        c.req.valid('param').name,
        c.req.valid('json'),
        caller,
      );
      return c.json(cronJobJson(job), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/cron/{name}',
      tags,
      summary: 'Delete a job and its runs',
      request: { params: CronNameParam },
      responses: { 200: json(z.object({ deleted: z.string() }), 'Deleted'), ...errorResponses },
    }),
    async (c) => {
      const job = await mnemos.cron.remove(tenantOf(c.get('tenant')), c.req.valid('param').name, {
        origin: 'http',
      });
      return c.json({ deleted: job.name }, 200);
    },
  );

  for (const verb of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/cron/{name}/${verb}`,
        tags,
        summary:
          verb === 'pause'
            ? 'Stop a job from running until resumed (a run in progress finishes)'
            : 'Let a paused job run again, from its next slot after now',
        request: { params: CronNameParam },
        responses: { 200: json(CronJobSchema, 'The job'), ...errorResponses },
      }),
      async (c) => {
        const job = await mnemos.cron[verb](tenantOf(c.get('tenant')), c.req.valid('param').name, {
          origin: 'http',
        });
        return c.json(cronJobJson(job), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/cron/{name}/run',
      tags,
      summary:
        'Run a job now: it is made due, and the next scheduler tick runs it in the background; its run shows in `/runs`',
      request: { params: CronNameParam },
      responses: {
        202: json(CronJobSchema, 'The job, due now'),
        ...errorResponses,
        ...conflict,
      },
    }),
    async (c) => {
      const job = await mnemos.cron.runNow(tenantOf(c.get('tenant')), c.req.valid('param').name, {
        origin: 'http',
      });
      return c.json(cronJobJson(job), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cron/{name}/runs',
      tags,
      summary: "A job's runs, newest first",
      request: { params: CronNameParam, query: PageQuery },
      responses: {
        200: json(z.object({ runs: z.array(CronRunSchema) }), 'The runs'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const runs = await mnemos.cron.history(tenantOf(c.get('tenant')), c.req.valid('param').name, {
        limit: query.limit ?? 20,
        offset: query.offset ?? 0,
      });
      return c.json({ runs: runs.map(cronRunJson) }, 200);
    },
  );
}
