import type { MnemosConfig } from '../config/config.js';
import { MnemosError } from '../core/errors.js';
import type { Embedder } from '../spec/embedder.js';
import type { Reranker } from '../spec/reranker.js';
import { BuiltinEmbedder } from './embed/builtin-embedder.js';
import { OpenAICompatibleEmbedder } from './embed/openai-compatible-embedder.js';
import { resolveEmbedder } from './embed/resolve-embedder.js';
import type { LlmExtractor } from './extract/llm-extractor.js';
import type { LlmReconciler } from './extract/reconciler.js';
import type { ChatClient } from './llm/chat-client.js';
import { type ResolvedChatModel, resolveChatModel } from './llm/resolve-chat-model.js';
import { capCandidates } from './rerank/cap-candidates.js';
import { HttpReranker } from './rerank/http-reranker.js';

// The AI SDK, onnxruntime and tokenizers load only when a configuration uses them: a CLI command
// on the built-in embedder starts without any of them.

/** The embedder `config.yaml` asks for; an HTTP one probes its dimension only when none is configured. */
export async function createEmbedder(config: MnemosConfig['embedder']): Promise<Embedder> {
  const resolved = resolveEmbedder(config);
  if (resolved.kind === 'builtin') return new BuiltinEmbedder({ dimensions: resolved.dimensions });
  if (resolved.kind === 'onnx') return createOnnxEmbedder(config);
  return OpenAICompatibleEmbedder.create({
    baseURL: resolved.baseURL,
    model: resolved.model,
    apiKeyEnv: resolved.apiKeyEnv,
    ...(resolved.apiKey ? { apiKey: resolved.apiKey } : {}),
    ...(resolved.dimensions ? { dimensions: resolved.dimensions } : {}),
    ...(config.batch_size ? { batchSize: config.batch_size } : {}),
    ...(config.concurrency ? { concurrency: config.concurrency } : {}),
    ...(config.max_retries !== undefined ? { maxRetries: config.max_retries } : {}),
    ...(config.timeout_ms ? { timeoutMs: config.timeout_ms } : {}),
  });
}

/**
 * The reranker `config.yaml` asks for, or null for none. `llm` scores with the extraction role's chat
 * model; it is a `config_error` when no chat model resolves.
 */
export async function createReranker(
  config: MnemosConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Reranker | null> {
  const section = config.reranker;
  if (section.provider === 'none') return null;
  if (section.provider === 'cross-encoder') return createCrossEncoder(section);
  if (section.provider === 'llm') {
    const resolution = resolveChatModel(config, 'extraction', env);
    if (resolution.status !== 'resolved') {
      throw new MnemosError(
        'config_error',
        `reranker.provider llm needs a chat model, but ${resolution.reason}`,
      );
    }
    const [{ LlmReranker }, { createChatClient }] = await Promise.all([
      import('./rerank/llm-reranker.js'),
      import('./llm/create-chat-client.js'),
    ]);
    return new LlmReranker({
      client: createChatClient(resolution.model),
      ...(section.max_candidates ? { maxCandidates: section.max_candidates } : {}),
    });
  }
  const apiKeyEnv = section.api_key_env ?? 'RERANK_API_KEY';
  const apiKey = process.env[apiKeyEnv];
  return new HttpReranker({
    url: section.url!,
    model: section.model!,
    apiKeyEnv,
    ...(apiKey ? { apiKey } : {}),
    ...(section.format ? { format: section.format } : {}),
    ...(section.timeout_ms ? { timeoutMs: section.timeout_ms } : {}),
    ...(section.max_retries !== undefined ? { maxRetries: section.max_retries } : {}),
  });
}

/** The chat-backed ingestion models: one shared client for the LLM extractor and reconciler. */
export interface LlmModels {
  client: ChatClient;
  extractor: LlmExtractor;
  reconciler: LlmReconciler;
}

/** How ingestion extracts memories under a configuration, and why. */
export type ExtractionPlan =
  | { mode: 'llm'; model: ResolvedChatModel }
  | { mode: 'passthrough'; reason: string; notice: boolean };

/**
 * Decides extraction: `passthrough` when asked for, the LLM extractor when a chat model resolves
 * (configured or auto-detected), else passthrough with a notice (`extractor: auto`). A chat model
 * that is configured but incomplete, or `extractor: llm` without any, is a `config_error`.
 */
export function planExtraction(
  config: MnemosConfig,
  env: NodeJS.ProcessEnv = process.env,
): ExtractionPlan {
  if (config.extractor === 'passthrough') {
    return { mode: 'passthrough', reason: 'extractor: passthrough in config.yaml', notice: false };
  }
  const resolution = resolveChatModel(config, 'extraction', env);
  if (resolution.status === 'resolved') return { mode: 'llm', model: resolution.model };
  if (resolution.status === 'invalid' || config.extractor === 'llm') {
    throw new MnemosError(
      'config_error',
      config.extractor === 'llm' && resolution.status === 'none'
        ? `extractor: llm needs a chat model, but ${resolution.reason}`
        : `chat model configuration is incomplete: ${resolution.reason}`,
    );
  }
  return {
    mode: 'passthrough',
    reason: `messages are stored as written, without LLM extraction: ${resolution.reason}`,
    notice: true,
  };
}

/** The LLM extractor and reconciler of a plan, or null for passthrough. */
export async function createLlmModels(plan: ExtractionPlan): Promise<LlmModels | null> {
  if (plan.mode === 'passthrough') return null;
  const [{ createChatClient }, { LlmExtractor }, { LlmReconciler }] = await Promise.all([
    import('./llm/create-chat-client.js'),
    import('./extract/llm-extractor.js'),
    import('./extract/reconciler.js'),
  ]);
  const client = createChatClient(plan.model);
  return {
    client,
    extractor: new LlmExtractor({ client }),
    reconciler: new LlmReconciler({ client }),
  };
}

/** A local ONNX embedder; its runtime is loaded only here, so Mnemos works without it. */
async function createOnnxEmbedder(config: MnemosConfig['embedder']): Promise<Embedder> {
  const { OnnxEmbedder } = await import('./onnx/index.js');
  return OnnxEmbedder.create({
    model: config.model as string,
    ...(config.file ? { file: config.file } : {}),
    ...(config.pooling ? { pooling: config.pooling } : {}),
    ...(config.max_length ? { maxLength: config.max_length } : {}),
    ...(config.prefix ? { prefix: config.prefix } : {}),
    ...(config.batch_size ? { batchSize: config.batch_size } : {}),
  });
}

/** A local ONNX cross-encoder, scoring at most `max_candidates` (the rest keep their order below). */
async function createCrossEncoder(config: MnemosConfig['reranker']): Promise<Reranker> {
  const { OnnxCrossEncoderReranker } = await import('./onnx/index.js');
  const reranker = await OnnxCrossEncoderReranker.create({
    model: config.model as string,
    ...(config.file ? { file: config.file } : {}),
    ...(config.max_length ? { maxLength: config.max_length } : {}),
  });
  return capCandidates(reranker, config.max_candidates ?? 30);
}
