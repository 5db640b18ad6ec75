import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { MnemosError } from '../core/errors.js';
import type { Mnemos } from '../mnemos.js';
import { AgentNameParam, AgentSchema, agentJson, PutAgentBody } from './agent-schemas.js';
import type { AppEnv } from './app.js';
import { tenantOf } from './request-scope.js';
import { body, ErrorSchema, errorResponses, json, requireAdmin } from './route-common.js';

const tags = ['agents'];
const conflict = {
  409: {
    description:
      'The definition changed since `expectedVersion`, or (DELETE) the agent is a home file, read-only here',
    content: { 'application/json': { schema: ErrorSchema } },
  },
};

/**
 * Agents as configuration, seen by the key's tenant: its own definitions (in the database) over
 * the server's home `agents/*.yaml`. Reading needs any key; writing an admin key, acting on the
 * tenant of `x-mnemos-app`/`x-mnemos-tenant`. Home definitions are read-only here.
 */
export function agentRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents',
      tags,
      summary: "The tenant's agents by name: its own definitions, then the server's home ones",
      responses: {
        200: json(z.object({ agents: z.array(AgentSchema), count: z.number() }), 'The agents'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const records = await mnemos.agents.forTenant(tenantOf(c.get('tenant'))).list();
      return c.json({ agents: records.map(agentJson), count: records.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agents/{name}',
      tags,
      summary: 'One agent with its whole definition (defaults applied)',
      request: { params: AgentNameParam },
      responses: { 200: json(AgentSchema, 'The agent'), ...errorResponses },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const record = await mnemos.agents.forTenant(tenantOf(c.get('tenant'))).require(name);
      return c.json(agentJson(record), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/agents/{name}',
      tags,
      summary:
        "Create or replace the tenant's definition of an agent (admin key); a home one of the name is shadowed, not changed",
      request: { params: AgentNameParam, ...body(PutAgentBody) },
      responses: {
        200: json(AgentSchema, 'The stored definition'),
        ...errorResponses,
        ...conflict,
      },
    }),
    async (c) => {
      const tenant = c.get('tenant');
      requireAdmin(tenant);
      const { name } = c.req.valid('param');
      const input = c.req.valid('json');
      const given = input.definition.name;
      if (given !== undefined && given !== name) {
        throw new MnemosError(
          'invalid_input',
          `definition.name: ${JSON.stringify(given)} is not the name in the path (${name}); they must be the same`,
          { details: { field: 'definition.name' } },
        );
      }
      const record = await mnemos.agents.save(tenantOf(tenant), {
        definition: { ...input.definition, name },
        expectedVersion: input.expectedVersion,
      });
      return c.json(agentJson(record), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/agents/{name}',
      tags,
      summary:
        "Delete the tenant's definition of an agent (admin key); a home one of the name shows again",
      request: { params: AgentNameParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses, ...conflict },
    }),
    async (c) => {
      const tenant = c.get('tenant');
      requireAdmin(tenant);
      await mnemos.agents.delete(tenantOf(tenant), c.req.valid('param').name);
      return c.body(null, 204);
    },
  );
}
