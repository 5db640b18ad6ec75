import { ChatClient } from './chat-client.js';
import type { ResolvedChatModel } from './resolve-chat-model.js';

/** A chat client for a resolved model, over the AI SDK. */
export function createChatClient(resolved: ResolvedChatModel): ChatClient {
  return new ChatClient({
    provider: resolved.provider,
    baseURL: resolved.baseURL,
    model: resolved.model,
    apiKeyEnv: resolved.apiKeyEnv ?? 'OPENAI_API_KEY',
    ...(resolved.apiKey ? { apiKey: resolved.apiKey } : {}),
    ...(resolved.timeoutMs ? { timeoutMs: resolved.timeoutMs } : {}),
    ...(resolved.maxRetries !== undefined ? { maxRetries: resolved.maxRetries } : {}),
    ...(resolved.maxTokens ? { maxTokens: resolved.maxTokens } : {}),
  });
}
