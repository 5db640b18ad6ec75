import type { MnemosConfig } from '../../config/config.js';
import type { ProviderId } from '../../config/provider-ids.js';
import { detectProvider, type ProviderPreset, presetBaseURL, presetOf } from './providers.js';

/** What a chat model is used for: the agent's turns, or extraction, reconciliation and LLM rerank. */
export type ChatRole = 'chat' | 'extraction';

/** A chat model with every setting decided, and why. */
export interface ResolvedChatModel {
  provider: ProviderId;
  model: string;
  baseURL: string;
  /** Variable holding the key; null when the provider needs none. */
  apiKeyEnv: string | null;
  /** The key, when its variable is set; never printed. */
  apiKey: string | undefined;
  /** What decided the provider: a config key or an environment variable. */
  chosenBy: string;
  timeoutMs: number | undefined;
  maxRetries: number | undefined;
  maxTokens: number | undefined;
}

/** The outcome of resolving a role: a model, nothing configured, or a configuration that cannot work. */
export type ChatModelResolution =
  | { status: 'resolved'; model: ResolvedChatModel }
  | { status: 'none'; reason: string }
  | { status: 'invalid'; reason: string };

type LlmSection = NonNullable<MnemosConfig['llm']>;

/** The advice given whenever no chat model is configured. */
export const NO_CHAT_MODEL_ADVICE =
  'set DASHSCOPE_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY, ANTHROPIC_API_KEY or OLLAMA_HOST (in the environment or in .env of the Mnemos home), or llm.provider and llm.model in config.yaml';

/**
 * Decides the chat model of a role. Explicit settings win: `extraction_llm` (extraction role) over
 * `llm`, and a configured provider or base URL over auto-detection; otherwise the first provider
 * whose variable is set (DASHSCOPE_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY, ANTHROPIC_API_KEY,
 * OLLAMA_HOST) is used with its preset model. Pure: reads `env`, calls nothing.
 */
export function resolveChatModel(
  config: Pick<MnemosConfig, 'llm' | 'extraction_llm'>,
  role: ChatRole,
  env: NodeJS.ProcessEnv = process.env,
): ChatModelResolution {
  const base: LlmSection = config.llm ?? {};
  const override: LlmSection = role === 'extraction' ? (config.extraction_llm ?? {}) : {};
  const overridden = Object.keys(override).length > 0;
  // A different provider in the override stands alone; otherwise it refines `llm`.
  const section: LlmSection = override.provider ? override : { ...base, ...override };
  const key = override.provider ? 'extraction_llm' : 'llm';
  const detected = detectProvider(env);
  let preset: ProviderPreset;
  let chosenBy: string;
  if (section.provider) {
    preset = presetOf(section.provider);
    chosenBy = `config.yaml ${key}.provider`;
  } else if (section.base_url) {
    preset = presetOf('openai-compatible');
    chosenBy = `config.yaml ${overridden && override.base_url ? 'extraction_llm' : 'llm'}.base_url`;
  } else if (detected) {
    preset = detected;
    chosenBy = detected.detectBy as string;
  } else {
    return { status: 'none', reason: `no chat model is configured; ${NO_CHAT_MODEL_ADVICE}` };
  }
  if (overridden && !chosenBy.startsWith('config.yaml extraction_llm')) {
    chosenBy += ' (model settings from config.yaml extraction_llm)';
  }
  const baseURL = section.base_url ?? presetBaseURL(preset, env);
  if (!baseURL) {
    return {
      status: 'invalid',
      reason: `${key}.provider ${preset.id} needs ${key}.base_url (the server's OpenAI-compatible base URL, e.g. http://localhost:8000/v1)`,
    };
  }
  const model = section.model ?? preset.chatModel;
  if (!model) {
    return {
      status: 'invalid',
      reason: `${key}.provider ${preset.id} needs ${key}.model (the model name the server knows)`,
    };
  }
  const apiKeyEnv = section.api_key_env ?? preset.apiKeyEnv;
  const apiKey = apiKeyEnv ? nonEmpty(env[apiKeyEnv]) : undefined;
  return {
    status: 'resolved',
    model: {
      provider: preset.id,
      model,
      baseURL,
      apiKeyEnv,
      apiKey,
      chosenBy,
      timeoutMs: section.timeout_ms,
      maxRetries: section.max_retries,
      maxTokens: section.max_tokens,
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
