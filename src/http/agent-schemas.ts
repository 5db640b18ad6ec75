import { z } from '@hono/zod-openapi';
import { definitionModel, definitionToolsets } from '../agents/agent-summary.js';
import type { AgentDefinitionRecord } from '../core/agent-definition.js';

/** `{name}` of the agent routes: 1–64 of `a-z0-9-`, as agent names are. */
export const AgentNameParam = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an agent name is 1-64 characters of a-z, 0-9 and -')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'customer-support' }),
});

const DefinitionSchema = z.record(z.string(), z.unknown()).openapi({
  description:
    'The fields of an agent definition file (`agents/NAME.yaml`) as JSON, snake_case as in the file: name, description, llm, system_prompt, tools, memory, skills, max_iter, limits (see docs/agents.md); defaults applied',
  example: {
    name: 'customer-support',
    description: 'Answers customers of the shop',
    system_prompt: 'You are the support desk of the shop.',
    tools: ['web', 'memory'],
  },
});

/** An agent as the API shows it: summary fields, then the whole definition. */
export const AgentSchema = z
  .object({
    name: z.string(),
    origin: z.enum(['home', 'tenant']).openapi({
      description:
        "`home`: a file of the server's home (read-only here); `tenant`: this tenant's own",
    }),
    description: z.string(),
    model: z.string().nullable().openapi({ description: 'null: the configured model' }),
    tools: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'toolsets the definition names; null: the configured ones' }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    definition: DefinitionSchema,
  })
  .openapi('Agent');

/** Body of `PUT /v1/agents/{name}`. */
export const PutAgentBody = z
  .object({
    definition: DefinitionSchema.openapi({
      description:
        "The definition, fields as in a definition file; `name` (if given) must be the one in the path. `spec_file` is refused, and secrets (OpenAPI auth, api_key_env) may only name variables of the server's agent.surfaces.http.env_allow",
    }),
    expectedVersion: z.number().int().min(0).optional().openapi({
      description:
        'the version the change is made from (0: the tenant has no definition of this name yet); a stale one answers 409',
    }),
  })
  .strict()
  .openapi('PutAgent');

/** A record as {@link AgentSchema}; a home file's path stays on the server. */
export function agentJson(record: AgentDefinitionRecord): z.infer<typeof AgentSchema> {
  const { definition } = record;
  return {
    name: definition.name,
    origin: record.origin,
    description: definition.description,
    model: definitionModel(definition),
    tools: definitionToolsets(definition),
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    definition: definition as unknown as Record<string, unknown>,
  };
}
