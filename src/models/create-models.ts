import type { MnemosConfig } from '../config/config.js';
import { BuiltinEmbedder } from './embed/builtin-embedder.js';
import { OpenAICompatibleEmbedder } from './embed/openai-compatible-embedder.js';
import type { Embedder } from './embedder.js';
import { LlmExtractor } from './extract/llm-extractor.js';
import { LlmReconciler } from './extract/reconciler.js';
import { ChatClient } from './llm/chat-client.js';
import { HttpReranker } from './rerank/http-reranker.js';
import type { Reranker } from './reranker.js';

/** The embedder `config.yaml` asks for; an HTTP one probes its dimension only when none is configured. */
export async function createEmbedder(config: MnemosConfig['embedder']): Promise<Embedder> {
  if (config.provider === 'builtin')
    return new BuiltinEmbedder({ dimensions: config.dimensions ?? 256 });
  const apiKeyEnv = config.api_key_env ?? 'OPENAI_API_KEY';
  const apiKey = process.env[apiKeyEnv];
  return OpenAICompatibleEmbedder.create({
    baseURL: config.base_url!,
    model: config.model!,
    apiKeyEnv,
    ...(apiKey ? { apiKey } : {}),
    ...(config.dimensions ? { dimensions: config.dimensions } : {}),
    ...(config.batch_size ? { batchSize: config.batch_size } : {}),
    ...(config.concurrency ? { concurrency: config.concurrency } : {}),
    ...(config.max_retries !== undefined ? { maxRetries: config.max_retries } : {}),
    ...(config.timeout_ms ? { timeoutMs: config.timeout_ms } : {}),
  });
}

/** The reranker `config.yaml` asks for, or null for none. */
export function createReranker(config: MnemosConfig['reranker']): Reranker | null {
  if (config.provider === 'none') return null;
  const apiKeyEnv = config.api_key_env ?? 'RERANK_API_KEY';
  const apiKey = process.env[apiKeyEnv];
  return new HttpReranker({
    url: config.url!,
    model: config.model!,
    apiKeyEnv,
    ...(apiKey ? { apiKey } : {}),
    ...(config.format ? { format: config.format } : {}),
    ...(config.timeout_ms ? { timeoutMs: config.timeout_ms } : {}),
    ...(config.max_retries !== undefined ? { maxRetries: config.max_retries } : {}),
  });
}

/** The chat-backed models of `config.yaml`: one shared client, or null when passthrough is used. */
export interface LlmModels {
  client: ChatClient;
  extractor: LlmExtractor;
  reconciler: LlmReconciler;
}

/**
 * Builds the LLM extractor and reconciler sharing one `ChatClient` when the configuration asks for
 * them (`extractor: llm`, or `auto` with an `llm` section); null means passthrough, silently.
 */
export function createLlmModels(config: MnemosConfig): LlmModels | null {
  const llm = config.llm;
  if (config.extractor === 'passthrough' || llm === undefined) return null;
  const apiKey = process.env[llm.api_key_env];
  const client = new ChatClient({
    baseURL: llm.base_url,
    model: llm.model,
    apiKeyEnv: llm.api_key_env,
    ...(apiKey ? { apiKey } : {}),
    ...(llm.timeout_ms ? { timeoutMs: llm.timeout_ms } : {}),
    ...(llm.max_retries !== undefined ? { maxRetries: llm.max_retries } : {}),
  });
  return {
    client,
    extractor: new LlmExtractor({ client }),
    reconciler: new LlmReconciler({ client }),
  };
}
