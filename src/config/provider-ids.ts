/** Chat providers Mnemos knows by name; `openai-compatible` is any other `/v1/chat/completions` server. */
export const providerIds = [
  'dashscope',
  'openai',
  'openrouter',
  'anthropic',
  'ollama',
  'openai-compatible',
] as const;

/** A known chat provider. */
export type ProviderId = (typeof providerIds)[number];
