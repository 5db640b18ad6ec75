import type { MnemosConfig } from '../config/config.js';
import { MnemosError } from '../core/errors.js';
import { resolveEmbedder } from './embed/resolve-embedder.js';
import { chatEndpoint } from './llm/language-model.js';
import { providerPresets } from './llm/providers.js';
import { type ChatModelResolution, resolveChatModel } from './llm/resolve-chat-model.js';

/** One model role as `mnemos status` shows it. */
export interface RoleStatus {
  role: 'chat' | 'extraction' | 'embedding' | 'rerank';
  /** Provider id, `builtin`, `passthrough` or `none`. */
  provider: string;
  model: string | null;
  /** URL called, or null for in-process models. */
  endpoint: string | null;
  /** The config key or environment variable that decided this role. */
  chosenBy: string;
  /** Variable holding the key, and whether it is set (the key itself is never shown). */
  keyVariable: string | null;
  keySet: boolean | null;
  /** Why a role is off or degraded, in words for the user. */
  note?: string;
}

/** Every model role resolved from a configuration and environment, without any network call. */
export interface ModelStatus {
  roles: RoleStatus[];
  /** The variables auto-detection looks at, in order, and whether each is set. */
  detection: Array<{ variable: string; provider: string; set: boolean }>;
  /** Configuration that cannot work, each with what to fix. */
  problems: string[];
}

/** Resolves chat, extraction, embedding and rerank the way `Mnemos.open` would, for display. */
export function describeModels(config: MnemosConfig, env: NodeJS.ProcessEnv): ModelStatus {
  const problems: string[] = [];
  const chat = chatRole('chat', resolveChatModel(config, 'chat', env), problems);
  const extraction = extractionRole(config, env, problems);
  return {
    roles: [chat, extraction, embeddingRole(config, env, problems), rerankRole(config, env)],
    detection: providerPresets
      .filter((preset) => preset.detectBy !== null)
      .map((preset) => ({
        variable: preset.detectBy as string,
        provider: preset.id,
        set: (env[preset.detectBy as string] ?? '').trim() !== '',
      })),
    problems,
  };
}

function chatRole(
  role: 'chat' | 'extraction',
  resolution: ChatModelResolution,
  problems: string[],
): RoleStatus {
  if (resolution.status !== 'resolved') {
    if (resolution.status === 'invalid') problems.push(resolution.reason);
    return {
      role,
      provider: 'none',
      model: null,
      endpoint: null,
      chosenBy: 'nothing configured or detected',
      keyVariable: null,
      keySet: null,
      note: resolution.reason,
    };
  }
  const model = resolution.model;
  return {
    role,
    provider: model.provider,
    model: model.model,
    endpoint: chatEndpoint(model),
    chosenBy: model.chosenBy,
    keyVariable: model.apiKeyEnv,
    keySet: model.apiKeyEnv ? model.apiKey !== undefined : null,
    ...(model.apiKeyEnv && model.apiKey === undefined
      ? { note: `${model.apiKeyEnv} is not set; requests will be refused` }
      : {}),
  };
}

function extractionRole(
  config: MnemosConfig,
  env: NodeJS.ProcessEnv,
  problems: string[],
): RoleStatus {
  const passthrough = (chosenBy: string, note: string): RoleStatus => ({
    role: 'extraction',
    provider: 'passthrough',
    model: null,
    endpoint: null,
    chosenBy,
    keyVariable: null,
    keySet: null,
    note,
  });
  if (config.extractor === 'passthrough') {
    return passthrough('config.yaml extractor', 'messages are stored as written');
  }
  const resolution = resolveChatModel(config, 'extraction', env);
  if (resolution.status === 'none') {
    if (config.extractor === 'llm') problems.push(`extractor: llm, but ${resolution.reason}`);
    return passthrough(
      'no chat model',
      `messages are stored as written, without LLM extraction; ${resolution.reason}`,
    );
  }
  return chatRole('extraction', resolution, problems);
}

function embeddingRole(
  config: MnemosConfig,
  env: NodeJS.ProcessEnv,
  problems: string[],
): RoleStatus {
  const explicit =
    config.embedder.provider !== 'builtin' || config.embedder.dimensions !== undefined;
  try {
    const embedder = resolveEmbedder(config.embedder, env, explicit);
    if (embedder.kind === 'builtin') {
      return {
        role: 'embedding',
        provider: 'builtin',
        model: `hash-ngram-v2 (${embedder.dimensions} dimensions)`,
        endpoint: null,
        chosenBy: embedder.chosenBy,
        keyVariable: null,
        keySet: null,
        note: 'offline feature hashing; embedders are never auto-detected, set embedder.provider and run mnemos mem reembed to change',
      };
    }
    if (embedder.kind === 'onnx') {
      return {
        role: 'embedding',
        provider: 'onnx',
        model: embedder.model,
        endpoint: null,
        chosenBy: embedder.chosenBy,
        keyVariable: null,
        keySet: null,
      };
    }
    return {
      role: 'embedding',
      provider: embedder.provider,
      model: embedder.model,
      endpoint: `${embedder.baseURL.replace(/\/+$/, '')}/embeddings`,
      chosenBy: embedder.chosenBy,
      keyVariable: embedder.apiKeyEnv,
      keySet: embedder.apiKey !== undefined,
    };
  } catch (error) {
    const message = MnemosError.isInstance(error) ? error.message : String(error);
    problems.push(message);
    return {
      role: 'embedding',
      provider: config.embedder.provider,
      model: null,
      endpoint: null,
      chosenBy: 'config.yaml embedder.provider',
      keyVariable: null,
      keySet: null,
      note: message,
    };
  }
}

function rerankRole(config: MnemosConfig, env: NodeJS.ProcessEnv): RoleStatus {
  const section = config.reranker;
  const base = { role: 'rerank' as const, chosenBy: 'config.yaml reranker.provider' };
  switch (section.provider) {
    case 'none':
      return {
        ...base,
        provider: 'none',
        model: null,
        endpoint: null,
        chosenBy: 'default (reranker.provider unset)',
        keyVariable: null,
        keySet: null,
        note: 'rerank: true searches keep the fused order',
      };
    case 'llm': {
      const resolution = resolveChatModel(config, 'extraction', env);
      return resolution.status === 'resolved'
        ? {
            ...base,
            provider: `llm (${resolution.model.provider})`,
            model: resolution.model.model,
            endpoint: chatEndpoint(resolution.model),
            keyVariable: resolution.model.apiKeyEnv,
            keySet: resolution.model.apiKeyEnv ? resolution.model.apiKey !== undefined : null,
          }
        : {
            ...base,
            provider: 'llm',
            model: null,
            endpoint: null,
            keyVariable: null,
            keySet: null,
            note: resolution.reason,
          };
    }
    case 'cross-encoder':
      return {
        ...base,
        provider: 'cross-encoder',
        model: section.model ?? null,
        endpoint: null,
        keyVariable: null,
        keySet: null,
      };
    default: {
      const keyVariable = section.api_key_env ?? 'RERANK_API_KEY';
      return {
        ...base,
        provider: 'http',
        model: section.model ?? null,
        endpoint: section.url ?? null,
        keyVariable,
        keySet: (env[keyVariable] ?? '').trim() !== '',
      };
    }
  }
}
