import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { z } from 'zod';
import { MnemosError } from '../core/errors.js';
import { redactionConfigSchema } from '../redaction/redaction-config.js';
import { cronConfigSchema, maintenanceConfigSchema } from './cron-config.js';
import { gatewayConfigSchema } from './gateway-config.js';
import { withGatewayFile } from './gateway-file.js';
import { configPath } from './home.js';
import { providerIds } from './provider-ids.js';

// YAML and dotenv load only when a home has config.yaml or .env: a home on defaults skips them.
const require = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => require('yaml') as typeof import('yaml');
const dotenv = (): typeof import('dotenv') => require('dotenv') as typeof import('dotenv');

/** Name of an environment variable (set in the environment or in `.env`). */
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

const retrievalSchema = z
  .object({
    rrf_k: z.number().positive().default(60),
    keyword_weight: z.number().min(0).default(1),
    vector_weight: z.number().min(0).optional(),
    candidate_multiplier: z.number().int().min(1).max(50).default(5),
    min_candidates: z.number().int().min(1).max(1000).default(50),
    min_vector_similarity: z.number().min(-1).max(1).default(0.35),
    recency_weight: z.number().min(0).default(0.1),
    recency_half_life_days: z.number().positive().default(30),
    access_weight: z.number().min(0).default(0.05),
    salience_weight: z.number().min(0).default(0.1),
    hnsw_threshold: z.number().int().min(1).default(5_000),
  })
  .strict();

const ingestSchema = z
  .object({
    /** Overrides the embedder's own near-duplicate threshold; above 1 turns duplicate candidates off. */
    near_duplicate_threshold: z.number().min(0).max(1.01).optional(),
    max_unit_characters: z.number().int().min(50).max(32_000).default(1_000),
    batch_size: z.number().int().min(1).max(256).default(64),
    max_attempts: z.number().int().min(1).max(20).default(3),
    retry_base_ms: z.number().int().min(10).default(1_000),
    lease_ms: z.number().int().min(1_000).default(60_000),
  })
  .strict();

/**
 * Which embedder writes vectors; a store refuses vectors from any other. `dashscope`, `openai` and
 * `ollama` are OpenAI-compatible presets (endpoint, model and key variable filled in); `onnx` runs a
 * local model. Embedders are never auto-detected: changing one needs `mnemos mem reembed`.
 */
const embedderSchema = z
  .object({
    provider: z
      .enum(['builtin', 'openai-compatible', 'dashscope', 'openai', 'ollama', 'onnx'])
      .default('builtin'),
    /** Vector length; 256 for builtin, probed from the service when absent for HTTP embedders. */
    dimensions: z.number().int().min(16).max(8192).optional(),
    base_url: z.url().optional(),
    /** Model name, or for `onnx` a local folder or Hugging Face id found in the local cache. */
    model: z.string().min(1).optional(),
    /** Name of the environment variable (from the environment or `.env`) holding the API key. */
    api_key_env: envName.optional(),
    batch_size: z.number().int().min(1).max(2048).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
    timeout_ms: z.number().int().min(100).optional(),
    /** `onnx`: ONNX file inside the model folder, e.g. `onnx/model_quantized.onnx`. */
    file: z.string().min(1).optional(),
    /** `onnx`: how token vectors become one vector. */
    pooling: z.enum(['mean', 'cls']).optional(),
    /** `onnx`: tokens kept per text. */
    max_length: z.number().int().min(8).max(8192).optional(),
    /** `onnx`: text put before every input, e.g. `query: ` for e5 models. */
    prefix: z.string().optional(),
  })
  .strict()
  .refine((value) => value.provider !== 'openai-compatible' || (value.base_url && value.model), {
    message: 'embedder.provider openai-compatible needs embedder.base_url and embedder.model',
  })
  .refine((value) => value.provider !== 'onnx' || value.model, {
    message: 'embedder.provider onnx needs embedder.model (a local folder or a Hugging Face id)',
  });

/**
 * Optional reranker used by `rerank: true` searches: an HTTP `/rerank` service, the chat model of
 * extraction (`llm`), or a local ONNX cross-encoder.
 */
const rerankerSchema = z
  .object({
    provider: z.enum(['none', 'http', 'llm', 'cross-encoder']).default('none'),
    url: z.url().optional(),
    /** Model name; for `cross-encoder` a local folder or Hugging Face id found in the local cache. */
    model: z.string().min(1).optional(),
    format: z.enum(['cohere', 'tei']).optional(),
    api_key_env: envName.optional(),
    timeout_ms: z.number().int().min(100).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
    /** `llm` and `cross-encoder`: most candidates scored per search. */
    max_candidates: z.number().int().min(1).max(200).optional(),
    /** `cross-encoder`: ONNX file inside the model folder. */
    file: z.string().min(1).optional(),
    /** `cross-encoder`: tokens kept per (query, passage) pair. */
    max_length: z.number().int().min(8).max(8192).optional(),
  })
  .strict()
  .refine((value) => value.provider !== 'http' || (value.url && value.model), {
    message: 'reranker.provider http needs reranker.url and reranker.model',
  })
  .refine((value) => value.provider !== 'cross-encoder' || value.model, {
    message:
      'reranker.provider cross-encoder needs reranker.model (a local folder or a Hugging Face id)',
  });

/**
 * A chat model. Every field is optional: an unset provider is auto-detected from the environment
 * (DASHSCOPE_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY, ANTHROPIC_API_KEY, OLLAMA_HOST, in that
 * order), and unset model, base URL and key variable come from the provider's preset.
 */
const llmSchema = z
  .object({
    provider: z.enum(providerIds).optional(),
    base_url: z.url().optional(),
    model: z.string().min(1).optional(),
    /** Name of the environment variable holding the API key; the key itself never goes here. */
    api_key_env: envName.optional(),
    timeout_ms: z.number().int().min(100).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
    max_tokens: z.number().int().min(16).max(200_000).optional(),
  })
  .strict();

/** Toolsets of agent turns on one untrusted surface, for every agent and per agent id. */
const surfaceSchema = z
  .object({
    /** Toolsets of every agent on this surface; default `agent.toolsets` without `file` and `terminal`. */
    toolsets: z.array(z.string().min(1)).optional(),
    /** Per agent id (the `agentId` of a message): toolsets replacing the surface's own. */
    agents: z
      .record(z.string().min(1), z.object({ toolsets: z.array(z.string().min(1)) }).strict())
      .default({}),
    /**
     * Environment variables a tenant's agent definition (stored over HTTP) may name as the secret of
     * an OpenAPI tool's `auth`. None by default.
     */
    env_allow: z.array(envName).default([]),
  })
  .strict();

/** The bubblewrap sandbox terminal commands of untrusted surfaces run in. */
const sandboxSchema = z
  .object({
    /** The `bwrap` executable: a path, or a name looked up on PATH. */
    bwrap: z.string().min(1).default('bwrap'),
    /** Commands may use the network (the host's, loopback included); off by default. */
    network: z.boolean().default(false),
    /** User and group commands run as when Mnemos runs as root (default nobody, 65534). */
    uid: z.number().int().min(1).max(4_294_967_294).default(65_534),
    gid: z.number().int().min(1).max(4_294_967_294).default(65_534),
  })
  .strict();

/** The agent runtime (`mnemos chat`, agent sessions). */
const agentSchema = z
  .object({
    /** Model steps per turn before the loop stops (each step may call several tools). */
    max_iterations: z.number().int().min(1).max(100).default(12),
    /** `native` function calling, or the `react` text protocol for models without it. */
    tool_protocol: z.enum(['native', 'react']).default('native'),
    /** Models tried in order when the one before fails (after its own retries). */
    fallback_models: z.array(llmSchema).max(5).default([]),
    /** Longest wait for recall before a turn goes on with what arrived. */
    prefetch_budget_ms: z.number().int().min(10).max(10_000).default(300),
    /** Recalled memories injected per turn. */
    recall_top_k: z.number().int().min(1).max(50).default(5),
    /** The model's context window, in tokens. */
    context_window: z.number().int().min(1_000).default(128_000),
    /** Share of the window at which older messages are summarised. */
    compress_at: z.number().min(0.05).max(0.95).default(0.5),
    /** Most recent messages never compressed. */
    protect_last: z.number().int().min(2).max(200).default(20),
    /** Tool groups offered to the model on the local, trusted surface (`mnemos chat`). */
    toolsets: z
      .array(z.string().min(1))
      .default([
        'file',
        'terminal',
        'web',
        'todo',
        'memory',
        'session_search',
        'skills',
        'delegation',
        'cron',
      ]),
    /**
     * Untrusted surfaces (HTTP agent turns, gateway chats): no `file` or `terminal` unless listed here; where they
     * are, each (app, tenant) gets its own workspace and commands run in the sandbox.
     */
    surfaces: z
      .object({ http: surfaceSchema.prefault({}), gateway: surfaceSchema.prefault({}) })
      .strict()
      .prefault({}),
    sandbox: sandboxSchema.prefault({}),
    /** `web_fetch`: hosts, IP literals or CIDR ranges it may reach although not public. */
    web: z
      .object({ allow_hosts: z.array(z.string().min(1)).default([]) })
      .strict()
      .prefault({}),
    /** Folder file and terminal tools of `mnemos chat` work in; default the current directory. */
    workspace: z.string().min(1).optional(),
    terminal: z
      .object({
        allow: z.array(z.string()).default([]),
        deny: z.array(z.string()).default([]),
        confirm_dangerous: z.boolean().default(true),
        timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    /**
     * A Mnemos service (`mnemos serve`) as long-term memory instead of the local engine, so agents on
     * several machines share one memory; the API key (which fixes app and tenant) is read from `api_key_env`.
     */
    memory_service: z
      .object({ url: z.url(), api_key_env: envName.default('MNEMOS_API_KEY') })
      .strict()
      .optional(),
    /** Skills: saved procedures the agent loads when a task fits them (see docs/skills.md). */
    skills: z
      .object({
        /** Skills loaded into the system prompt of every session (as `mnemos chat -s`). */
        preload: z.array(z.string().min(1)).default([]),
        /** Read the project's `<workspace>/.agents/skills`, which win over the home's skills. */
        project: z.boolean().default(true),
        /** The learning loop: a background review after every `interval` tool-using turns. */
        review: z
          .object({
            /** Tool-using turns between reviews; 0 turns the review off. */
            interval: z.number().int().min(0).max(1_000).default(10),
            /** Model steps one review may take. */
            max_iterations: z.number().int().min(1).max(50).default(16),
            /** Review in `mnemos chat` (trusted, on by default). */
            local: z.boolean().default(true),
            /** Review HTTP agent turns (untrusted input; off by default). */
            http: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** Skills the agent created and nobody used for this many days are archived (never deleted); 0 keeps them. */
        archive_after_days: z.number().int().min(0).max(3_650).default(30),
      })
      .strict()
      .prefault({}),
    /** `delegate_task`: child agents with fresh context, and what they may spend (see docs/delegation.md). */
    delegation: z
      .object({
        /** Children running at once; further tasks wait for a free slot. */
        max_concurrent: z.number().int().min(1).max(10).default(3),
        /** Wall time of one child, from its start; a child still running then is stopped. */
        timeout_ms: z.number().int().min(1_000).max(3_600_000).default(120_000),
        /** Model steps of one child. */
        max_iterations: z.number().int().min(1).max(100).default(8),
        /** Model steps of all children of one parent turn together. */
        max_iterations_total: z.number().int().min(1).max(1_000).default(24),
        /** Input plus output tokens of all children of one parent turn together. */
        max_tokens_total: z.number().int().min(1_000).max(100_000_000).default(100_000),
      })
      .strict()
      .prefault({}),
    /**
     * Circuit breaker of each chat model, shared by the agents of a process: when `failure_rate` of
     * its last `window` calls failed (at least `min_calls`), turns start at the next model of the
     * chain for `cooldown_ms`, then try it once again.
     */
    breaker: z
      .object({
        window: z.number().int().min(1).max(1_000).default(20),
        failure_rate: z.number().gt(0).max(1).default(0.5),
        min_calls: z.number().int().min(1).max(1_000).default(4),
        cooldown_ms: z.number().int().min(0).max(86_400_000).default(30_000),
      })
      .strict()
      .prefault({}),
    /**
     * Token quotas (input plus output tokens of chat calls), checked before every model call of
     * agent turns and counted in the database, so replicas share them; unset is unlimited.
     */
    quotas: z
      .object({
        /** Tokens one session may use. */
        per_session_tokens: z.number().int().min(1).optional(),
        /** Tokens one user (app and tenant) may use per UTC day. */
        per_user_daily_tokens: z.number().int().min(1).optional(),
        /** Tokens one user may use in all. */
        per_user_tokens: z.number().int().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Character limits of the curated notes (MEMORY.md, USER.md). */
    notes: z
      .object({
        memory_limit: z.number().int().min(100).max(100_000).default(2_200),
        user_limit: z.number().int().min(100).max(100_000).default(1_375),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Name of a configured MCP server: the middle of its tools' names `mcp_<server>_<tool>`. */
const mcpServerName = /^[a-z0-9_-]{1,32}$/;

/** An external MCP server whose tools the agent may call: a stdio command or a Streamable HTTP URL. */
const mcpServerSchema = z
  .object({
    /** Executable of a stdio server (looked up on PATH); exactly one of `command` and `url`. */
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    /** Variables for the child beyond the minimal default environment (PATH, HOME, …); no secrets. */
    env: z.record(envName, z.string()).default({}),
    /** Child variables read from the environment or `.env`: `{ VAR: NAME_OF_ENV_VARIABLE }`. */
    env_from: z.record(envName, envName).default({}),
    /** Working folder of the child; relative to the home. */
    cwd: z.string().min(1).optional(),
    /** Endpoint of a Streamable HTTP server. */
    url: z.url().optional(),
    headers: z.record(z.string().min(1), z.string()).default({}),
    /** Request headers read from the environment or `.env`: `{ Header: ENV_NAME }`. */
    headers_from_env: z.record(z.string().min(1), envName).default({}),
    /** When set, only these tools (the server's own names) are offered. */
    allowed_tools: z.array(z.string().min(1)).optional(),
    /** Tools never offered; wins over `allowed_tools`. */
    denied_tools: z.array(z.string().min(1)).default([]),
    /** Tools that ask the person first (exact names, or `*` for all); refused where nobody can answer. */
    require_confirmation: z.array(z.string().min(1)).default([]),
    /** Longest wait for one tool call. */
    timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Longest wait for the server to start and answer the handshake. */
    connect_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((value, context) => {
    if ((value.command === undefined) === (value.url === undefined)) {
      context.addIssue({ code: 'custom', message: 'set exactly one of command and url' });
    }
    const stdioOnly = ['args', 'env', 'env_from', 'cwd'] as const;
    const httpOnly = ['headers', 'headers_from_env'] as const;
    const given = (key: string): boolean => {
      const field = value[key as keyof typeof value];
      return Array.isArray(field)
        ? field.length > 0
        : typeof field === 'object'
          ? Object.keys(field).length > 0
          : field !== undefined;
    };
    if (value.url !== undefined) {
      for (const key of stdioOnly.filter(given)) {
        context.addIssue({ code: 'custom', path: [key], message: `${key} needs command` });
      }
    }
    if (value.command !== undefined) {
      for (const key of httpOnly.filter(given)) {
        context.addIssue({ code: 'custom', path: [key], message: `${key} needs url` });
      }
    }
  });

/** Everything `config.yaml` may hold; secrets never live here, they go in `.env`. */
export const configSchema = z
  .object({
    app_id: z.string().min(1).default('mnemos'),
    tenant_id: z.string().min(1).default('default'),
    agent_id: z.string().min(1).default('default'),
    run_id: z.string().min(1).default('default'),
    /** `postgres` needs MNEMOS_DATABASE_URL (environment or `.env`); setting that variable alone also selects it. */
    storage: z.enum(['sqlite', 'postgres']).default('sqlite'),
    memory_store_name: z.string().default('mnemos'),
    auto_create_store: z.boolean().default(true),
    embedder: embedderSchema.prefault({}),
    reranker: rerankerSchema.prefault({}),
    /** The chat model (agent, and extraction unless `extraction_llm` says otherwise). */
    llm: llmSchema.optional(),
    /** Overrides of `llm` for extraction, reconciliation and the LLM reranker, e.g. a cheaper model. */
    extraction_llm: llmSchema.optional(),
    /** `auto`: the LLM extractor when a chat model is configured or detected, else passthrough. */
    extractor: z.enum(['auto', 'passthrough', 'llm']).default('auto'),
    retrieval: retrievalSchema.prefault({}),
    ingest: ingestSchema.prefault({}),
    agent: agentSchema.prefault({}),
    /** `mnemos serve`: `metrics_key_env` names the variable holding the key `/metrics` then needs. */
    server: z.object({ metrics_key_env: envName.optional() }).strict().prefault({}),
    redaction: redactionConfigSchema.prefault({}),
    /** Scheduled jobs: the scheduler inside `mnemos serve` and `mnemos gateway run`. */
    cron: cronConfigSchema.prefault({}),
    /** Built-in maintenance jobs (memory and session expiry), off until configured. */
    maintenance: maintenanceConfigSchema.prefault({}),
    /** The messaging gateway (Telegram, Slack, Discord, email); `<home>/gateway.yaml` may hold it instead. */
    gateway: gatewayConfigSchema.prefault({}),
    /** External MCP servers whose tools the agent may call (see docs/configuration.md). */
    mcp_servers: z
      .record(z.string(), mcpServerSchema)
      .superRefine((servers, context) => {
        for (const name of Object.keys(servers).filter((key) => !mcpServerName.test(key))) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: 'server name must be 1-32 lowercase letters, digits, _ or -',
          });
        }
      })
      .default({}),
  })
  .strict();

/** One configured MCP server, defaults filled in. */
export type McpServerConfig = MnemosConfig['mcp_servers'][string];

/** Resolved configuration with every default filled in. */
export type MnemosConfig = z.infer<typeof configSchema>;

// Home paths live apart so the CLI can name a home without loading the config schema.
export { configPath, resolveHome } from './home.js';

/** Raw (unvalidated) contents of `config.yaml`, or `{}` when absent. */
export function readRawConfig(home: string): Record<string, unknown> {
  const path = configPath(home);
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = yaml().parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MnemosError(
      'config_error',
      `${path} is not valid YAML: ${(error as Error).message}`,
      { details: { path } },
    );
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MnemosError('config_error', `${path} must hold a mapping of settings`, {
      details: { path },
    });
  }
  return raw as Record<string, unknown>;
}

/** Validates raw settings, naming every bad key. */
export function validateConfig(raw: unknown, where: string): MnemosConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new MnemosError(
    'config_error',
    `invalid configuration in ${where}: ${problems.join('; ')}`,
    { details: { problems } },
  );
}

/** Loads `config.yaml` of a home, with defaults. */
export function loadConfig(home: string): MnemosConfig {
  return validateConfig(readEffectiveConfig(home), configPath(home));
}

/** `config.yaml` with `<home>/gateway.yaml` as its `gateway` section when that file exists. */
export function readEffectiveConfig(home: string): Record<string, unknown> {
  return withGatewayFile(home, readRawConfig(home), configPath(home));
}

/** Writes `config.yaml` atomically after validating it. */
export function writeRawConfig(home: string, raw: Record<string, unknown>): void {
  validateConfig(raw, configPath(home));
  mkdirSync(home, { recursive: true });
  const path = configPath(home);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, yaml().stringify(raw));
  renameSync(temporary, path);
}

/** Loads `.env` of a home into `process.env` without overriding variables already set. */
export function loadDotenv(home: string): void {
  const path = join(home, '.env');
  if (!existsSync(path)) return;
  for (const [key, value] of Object.entries(dotenv().parse(readFileSync(path)))) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
}
