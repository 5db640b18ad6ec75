import type { ProviderId } from '../../config/provider-ids.js';

/** What Mnemos assumes about a provider when `config.yaml` does not say. */
export interface ProviderPreset {
  id: ProviderId;
  /** Wire protocol the AI SDK speaks to it. */
  protocol: 'openai-compatible' | 'anthropic';
  /** Environment variable whose presence selects this provider (auto-detection), and holds its key. */
  detectBy: string | null;
  /** Variable holding the API key; null when the server needs none. */
  apiKeyEnv: string | null;
  /** Base URL; null when it must be configured. */
  baseURL: string | null;
  /** Chat model used when none is configured. */
  chatModel: string | null;
  /** Embedding model of the provider's embeddings endpoint, for `embedder.provider: <id>`. */
  embeddingModel: string | null;
}

/** Presets in auto-detection order: the first whose variable is set wins. */
export const providerPresets: readonly ProviderPreset[] = [
  {
    id: 'dashscope',
    protocol: 'openai-compatible',
    detectBy: 'DASHSCOPE_API_KEY',
    apiKeyEnv: 'DASHSCOPE_API_KEY',
    baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    chatModel: 'qwen3-max',
    embeddingModel: 'text-embedding-v4',
  },
  {
    id: 'openai',
    protocol: 'openai-compatible',
    detectBy: 'OPENAI_API_KEY',
    apiKeyEnv: 'OPENAI_API_KEY',
    baseURL: 'https://api.openai.com/v1',
    chatModel: 'gpt-4.1-mini',
    embeddingModel: 'text-embedding-3-small',
  },
  {
    id: 'openrouter',
    protocol: 'openai-compatible',
    detectBy: 'OPENROUTER_API_KEY',
    apiKeyEnv: 'OPENROUTER_API_KEY',
    baseURL: 'https://openrouter.ai/api/v1',
    chatModel: 'openai/gpt-4.1-mini',
    embeddingModel: null,
  },
  {
    id: 'anthropic',
    protocol: 'anthropic',
    detectBy: 'ANTHROPIC_API_KEY',
    apiKeyEnv: 'ANTHROPIC_API_KEY',
    baseURL: 'https://api.anthropic.com/v1',
    chatModel: 'claude-haiku-4-5',
    embeddingModel: null,
  },
  {
    id: 'ollama',
    protocol: 'openai-compatible',
    detectBy: 'OLLAMA_HOST',
    apiKeyEnv: null,
    baseURL: 'http://127.0.0.1:11434/v1',
    chatModel: 'qwen2.5:7b',
    embeddingModel: 'nomic-embed-text',
  },
  {
    id: 'openai-compatible',
    protocol: 'openai-compatible',
    detectBy: null,
    apiKeyEnv: 'OPENAI_API_KEY',
    baseURL: null,
    chatModel: null,
    embeddingModel: null,
  },
];

/** The preset of a provider. */
export function presetOf(id: ProviderId): ProviderPreset {
  const preset = providerPresets.find((candidate) => candidate.id === id);
  if (!preset) throw new Error(`unknown provider ${id}`);
  return preset;
}

/** The first provider whose variable is set in `env`, in preset order. */
export function detectProvider(env: NodeJS.ProcessEnv): ProviderPreset | null {
  for (const preset of providerPresets) {
    if (preset.detectBy && (env[preset.detectBy] ?? '').trim() !== '') return preset;
  }
  return null;
}

/**
 * The OpenAI-compatible base URL of an Ollama server from `OLLAMA_HOST` (`host`, `host:port` or a
 * URL, as the Ollama CLI accepts it), or the preset's default when unset.
 */
export function ollamaBaseURL(env: NodeJS.ProcessEnv): string {
  const host = (env.OLLAMA_HOST ?? '').trim();
  if (host === '') return presetOf('ollama').baseURL as string;
  const explicit = /^https?:\/\//i.test(host);
  const url = new URL(explicit ? host : `http://${host}`);
  // A bare host means Ollama's own port; a URL says what it means.
  if (!explicit && url.port === '') url.port = '11434';
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  return `${url.origin}/v1`;
}

/** Base URL of a preset given the environment (only Ollama's depends on it). */
export function presetBaseURL(preset: ProviderPreset, env: NodeJS.ProcessEnv): string | null {
  return preset.id === 'ollama' ? ollamaBaseURL(env) : preset.baseURL;
}
