import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ProviderId } from '../../config/provider-ids.js';
import { presetOf } from './providers.js';

/** Where and how to reach one chat model. */
export interface LanguageModelTarget {
  provider: ProviderId;
  model: string;
  /** API base: `…/v1` for OpenAI-compatible servers, `https://api.anthropic.com/v1` for Anthropic. */
  baseURL: string;
  apiKey?: string | undefined;
  headers?: Record<string, string> | undefined;
}

/** The AI SDK model of a target; every request goes through `fetch` (Mnemos' retrying fetch). */
export function createLanguageModel(target: LanguageModelTarget, fetch: typeof globalThis.fetch) {
  const common = {
    baseURL: target.baseURL.replace(/\/+$/, ''),
    fetch,
    ...(target.headers ? { headers: target.headers } : {}),
  };
  if (presetOf(target.provider).protocol === 'anthropic') {
    return createAnthropic({ ...common, apiKey: target.apiKey ?? '' })(target.model);
  }
  return createOpenAICompatible({
    ...common,
    name: target.provider,
    includeUsage: true,
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  }).chatModel(target.model) satisfies LanguageModel;
}

/** The endpoint a target's chat calls go to, for messages. */
export function chatEndpoint(target: Pick<LanguageModelTarget, 'provider' | 'baseURL'>): string {
  const base = target.baseURL.replace(/\/+$/, '');
  return presetOf(target.provider).protocol === 'anthropic'
    ? `${base}/messages`
    : `${base}/chat/completions`;
}
