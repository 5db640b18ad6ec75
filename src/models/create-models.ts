import type { MnemosConfig } from '../config/config.js';
import { BuiltinEmbedder } from './embed/builtin-embedder.js';
import { OpenAICompatibleEmbedder } from './embed/openai-compatible-embedder.js';
import type { Embedder } from './embedder.js';
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
