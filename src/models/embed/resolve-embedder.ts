import type { MnemosConfig } from '../../config/config.js';
import { MnemosError } from '../../core/errors.js';
import { presetBaseURL, presetOf } from '../llm/providers.js';

type EmbedderSection = MnemosConfig['embedder'];

/** An embedder with every setting decided; what `createEmbedder` builds and `mnemos status` shows. */
export type ResolvedEmbedder =
  | { kind: 'builtin'; dimensions: number; chosenBy: string }
  | {
      kind: 'http';
      /** `openai-compatible`, or the preset it came from. */
      provider: string;
      baseURL: string;
      model: string;
      apiKeyEnv: string;
      apiKey: string | undefined;
      dimensions: number | undefined;
      chosenBy: string;
    }
  | { kind: 'onnx'; model: string; dimensions: undefined; chosenBy: string };

/**
 * Fills in an embedder section: presets (`dashscope`, `openai`, `ollama`) give their endpoint, model
 * and key variable, and explicit settings win. Pure: reads `env`, calls nothing.
 */
export function resolveEmbedder(
  section: EmbedderSection,
  env: NodeJS.ProcessEnv = process.env,
  explicit = true,
): ResolvedEmbedder {
  const chosenBy = explicit ? 'config.yaml embedder.provider' : 'default (embedder.provider unset)';
  if (section.provider === 'builtin') {
    return { kind: 'builtin', dimensions: section.dimensions ?? 256, chosenBy };
  }
  if (section.provider === 'onnx') {
    return { kind: 'onnx', model: section.model as string, dimensions: undefined, chosenBy };
  }
  const preset = section.provider === 'openai-compatible' ? null : presetOf(section.provider);
  const baseURL = section.base_url ?? (preset ? presetBaseURL(preset, env) : null);
  const model = section.model ?? preset?.embeddingModel ?? null;
  if (!baseURL || !model) {
    throw new MnemosError(
      'config_error',
      `embedder.provider ${section.provider} needs embedder.base_url and embedder.model`,
    );
  }
  const apiKeyEnv = section.api_key_env ?? preset?.apiKeyEnv ?? 'OPENAI_API_KEY';
  const apiKey = (env[apiKeyEnv] ?? '').trim();
  return {
    kind: 'http',
    provider: section.provider,
    baseURL,
    model,
    apiKeyEnv,
    apiKey: apiKey === '' ? undefined : apiKey,
    dimensions: section.dimensions,
    chosenBy,
  };
}
