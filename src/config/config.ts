import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { MnemosError } from '../errors.js';

const retrievalSchema = z
  .object({
    rrf_k: z.number().positive().default(60),
    keyword_weight: z.number().min(0).default(1),
    vector_weight: z.number().min(0).default(0.5),
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
    near_duplicate_threshold: z.number().min(0).max(1.01).default(0.92),
    max_unit_characters: z.number().int().min(50).max(32_000).default(1_000),
    batch_size: z.number().int().min(1).max(256).default(64),
    max_attempts: z.number().int().min(1).max(20).default(3),
    retry_base_ms: z.number().int().min(10).default(1_000),
    lease_ms: z.number().int().min(1_000).default(60_000),
  })
  .strict();

/** Which embedder writes vectors; a store refuses vectors from any other. */
const embedderSchema = z
  .object({
    provider: z.enum(['builtin', 'openai-compatible']).default('builtin'),
    /** Vector length; 256 for builtin, probed from the service when absent for openai-compatible. */
    dimensions: z.number().int().min(16).max(8192).optional(),
    base_url: z.url().optional(),
    model: z.string().min(1).optional(),
    /** Name of the environment variable (from the environment or `.env`) holding the API key. */
    api_key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional(),
    batch_size: z.number().int().min(1).max(2048).optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
    timeout_ms: z.number().int().min(100).optional(),
  })
  .strict()
  .refine((value) => value.provider === 'builtin' || (value.base_url && value.model), {
    message: 'embedder.provider openai-compatible needs embedder.base_url and embedder.model',
  });

/** Optional reranker used by `rerank: true` searches. */
const rerankerSchema = z
  .object({
    provider: z.enum(['none', 'http']).default('none'),
    url: z.url().optional(),
    model: z.string().min(1).optional(),
    format: z.enum(['cohere', 'tei']).optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional(),
    timeout_ms: z.number().int().min(100).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
  })
  .strict()
  .refine((value) => value.provider === 'none' || (value.url && value.model), {
    message: 'reranker.provider http needs reranker.url and reranker.model',
  });

/** Optional chat model (any OpenAI-compatible `/chat/completions`) used for extraction and reconciliation. */
const llmSchema = z
  .object({
    base_url: z.url(),
    model: z.string().min(1),
    /** Name of the environment variable (from the environment or `.env`) holding the API key. */
    api_key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .default('OPENAI_API_KEY'),
    timeout_ms: z.number().int().min(100).optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
  })
  .strict();

/** Everything `config.yaml` may hold; secrets never live here, they go in `.env`. */
export const configSchema = z
  .object({
    app_id: z.string().min(1).default('mnemos'),
    tenant_id: z.string().min(1).default('default'),
    agent_id: z.string().min(1).default('default'),
    run_id: z.string().min(1).default('default'),
    storage: z.enum(['sqlite']).default('sqlite'),
    memory_store_name: z.string().default('mnemos'),
    auto_create_store: z.boolean().default(true),
    embedder: embedderSchema.prefault({}),
    reranker: rerankerSchema.prefault({}),
    llm: llmSchema.optional(),
    /** `auto`: the LLM extractor when `llm` is configured, else passthrough. */
    extractor: z.enum(['auto', 'passthrough', 'llm']).default('auto'),
    retrieval: retrievalSchema.prefault({}),
    ingest: ingestSchema.prefault({}),
  })
  .strict()
  .superRefine((value, context) => {
    if (value.extractor === 'llm' && value.llm === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['extractor'],
        message: 'extractor llm needs an llm section (llm.base_url and llm.model)',
      });
    }
  });

/** Resolved configuration with every default filled in. */
export type MnemosConfig = z.infer<typeof configSchema>;

/** The Mnemos home: `MNEMOS_HOME`, else `~/.mnemos`. */
export function resolveHome(home?: string): string {
  return home ?? process.env.MNEMOS_HOME ?? join(homedir(), '.mnemos');
}

/** Path of `config.yaml` in a home. */
export function configPath(home: string): string {
  return join(home, 'config.yaml');
}

/** Raw (unvalidated) contents of `config.yaml`, or `{}` when absent. */
export function readRawConfig(home: string): Record<string, unknown> {
  const path = configPath(home);
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
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
  return validateConfig(readRawConfig(home), configPath(home));
}

/** Writes `config.yaml` atomically after validating it. */
export function writeRawConfig(home: string, raw: Record<string, unknown>): void {
  validateConfig(raw, configPath(home));
  mkdirSync(home, { recursive: true });
  const path = configPath(home);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, stringifyYaml(raw));
  renameSync(temporary, path);
}

/** Loads `.env` of a home into `process.env` without overriding variables already set. */
export function loadDotenv(home: string): void {
  const path = join(home, '.env');
  if (!existsSync(path)) return;
  for (const [key, value] of Object.entries(parseDotenv(readFileSync(path)))) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
}
