import { z } from 'zod';

/** Name of an environment variable holding a secret (set in the environment or in `.env`). */
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

/** Name of an agent, a team or a team role: 1–64 of `a-z0-9-`, starting with a letter or digit. */
export const definitionNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be 1-64 of a-z, 0-9 and -, not starting with -');

/** Name of a tool or toolset: `snake_case`. */
const toolNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case (a-z, 0-9, _), starting with a letter');

/** A chat model of a definition: fields as in config `llm`, plus temperature. */
export const definitionModelSchema = z
  .object({
    provider: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    base_url: z.url().optional(),
    /** Name of the environment variable holding the API key. */
    api_key_env: envName.optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(16).max(200_000).optional(),
  })
  .strict();

/** A model: `provider/model`, a bare model name of the configured provider, or the object form. */
export const modelChoiceSchema = z.union([z.string().min(1), definitionModelSchema]);

/** The chat model of an agent and its fallbacks, tried in order when the one before fails. */
export const agentModelSchema = z.union([
  z.string().min(1),
  definitionModelSchema.extend({ fallback: z.array(modelChoiceSchema).max(5).optional() }).strict(),
]);

/** How an OpenAPI tool authenticates; the secret is always read from an environment variable. */
export const openApiAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token_env: envName }).strict(),
  z.object({ type: z.literal('header'), name: z.string().min(1), value_env: envName }).strict(),
  z.object({ type: z.literal('query'), name: z.string().min(1), value_env: envName }).strict(),
]);

/**
 * Tools from an OpenAPI 3 document: one tool per operation, named `<name>_<operationId>` in
 * toolset `openapi_<name>`.
 */
export const openApiToolSchema = z
  .object({
    type: z.literal('openapi'),
    name: toolNameSchema,
    /** The document's address; exactly one of `spec_url` and `spec_file`. */
    spec_url: z.url().optional(),
    /** The document as a file, relative to the definition's folder (or absolute). */
    spec_file: z.string().min(1).optional(),
    /** Base address of the calls; default the document's first `servers` entry. */
    base_url: z.url().optional(),
    auth: openApiAuthSchema.optional(),
    /** Operation ids to offer; default every operation of the document. */
    operations: z.array(z.string().min(1)).min(1).optional(),
    timeout_ms: z.number().int().min(100).max(300_000).default(15_000),
    /** Longest response body kept; longer ones are cut with a marker. */
    max_response_bytes: z
      .number()
      .int()
      .min(1_024)
      .max(4 * 1024 * 1024)
      .default(65_536),
    /** Results of read-only (GET) calls are reused for this long for the same arguments; 0 = never. */
    cache_ttl_seconds: z.number().int().min(0).max(86_400).default(0),
  })
  .strict()
  .refine((tool) => (tool.spec_url === undefined) !== (tool.spec_file === undefined), {
    message: 'an openapi tool needs exactly one of spec_url and spec_file',
  });

/** A built-in tool or toolset by name (`web`, `web_fetch`, `memory`, `skills`, …). */
export const builtinToolSchema = z
  .object({
    type: z.literal('builtin'),
    name: toolNameSchema,
    /** Results are reused for this long for the same arguments; 0 = never. */
    cache_ttl_seconds: z.number().int().min(0).max(86_400).default(0),
  })
  .strict();

/** The tools of a configured MCP server (`mcp_servers.<server>`), as toolset `mcp_<server>`. */
export const mcpToolSchema = z
  .object({
    type: z.literal('mcp'),
    server: z.string().min(1).max(64),
  })
  .strict();

/** One entry of `tools`: a bare name is a built-in tool or toolset. */
export const agentToolSchema = z.union([
  toolNameSchema,
  builtinToolSchema,
  mcpToolSchema,
  openApiToolSchema,
]);

/** What the agent remembers. */
export const agentMemorySchema = z
  .object({
    /** Long-term memory (recall before turns, sync after them); off gives a stateless agent. */
    enabled: z.boolean().default(true),
    /** The curated notes (`MEMORY.md`, `USER.md`) in the system prompt. */
    notes: z.boolean().default(true),
    /** Memories recalled per turn; default config `agent.recall_top_k`. */
    recall_top_k: z.number().int().min(1).max(50).optional(),
  })
  .strict();

/** Bounds of one turn of the agent. */
export const agentLimitsSchema = z
  .object({
    /** Input plus output tokens of one turn, all model steps together. */
    max_tokens_per_turn: z.number().int().min(100).optional(),
    /** Wall time of one turn. */
    timeout_ms: z.number().int().min(1_000).max(3_600_000).optional(),
  })
  .strict();

/** An agent as configuration: `agents/<name>.yaml` in the home, or a tenant's, in the database. */
export const agentDefinitionSchema = z
  .object({
    name: definitionNameSchema,
    description: z.string().max(1_024).default(''),
    /** Default: config `llm` and `agent.fallback_models`. */
    llm: agentModelSchema.optional(),
    /** The identity, instead of the home's `SOUL.md`. */
    system_prompt: z.string().min(1).max(32_768).optional(),
    /** Default: config `agent.toolsets`. An empty list gives an agent without tools. */
    tools: z.array(agentToolSchema).max(64).optional(),
    memory: agentMemorySchema.prefault({}),
    /** Skills loaded into every session's prompt. */
    skills: z.array(definitionNameSchema).max(32).default([]),
    /** Model steps per turn; default config `agent.max_iterations`. */
    max_iter: z.number().int().min(1).max(100).optional(),
    limits: agentLimitsSchema.prefault({}),
  })
  .strict();

/** An agent definition as written (defaults not yet applied). */
export type AgentDefinitionInput = z.input<typeof agentDefinitionSchema>;
/** An agent definition, validated, defaults applied. */
export type AgentDefinition = z.output<typeof agentDefinitionSchema>;
/** One entry of an agent's `tools`. */
export type AgentToolEntry = AgentDefinition['tools'] extends Array<infer T> | undefined
  ? T
  : never;
/** An OpenAPI tool entry, validated. */
export type OpenApiToolConfig = z.output<typeof openApiToolSchema>;
/** A model choice of a definition. */
export type ModelChoice = z.output<typeof modelChoiceSchema>;

/** Where a definition comes from: the home's folder or a tenant's rows. */
export type DefinitionOrigin = 'home' | 'tenant';

/** A stored agent definition with its bookkeeping. */
export interface AgentDefinitionRecord {
  definition: AgentDefinition;
  origin: DefinitionOrigin;
  /** File of a home definition; absent for a tenant's. */
  path?: string;
  /** Counts up on every save of a tenant's definition; 1 for a file. */
  version: number;
  createdAt: string;
  updatedAt: string;
}
