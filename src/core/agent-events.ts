/** Tokens one turn or session used, summed over every model call. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * What an agent turn reports while it runs, in order; the HTTP API sends these as SSE events and
 * the REPL renders them. `done` is always last.
 */
export type AgentEvent =
  | { type: 'token'; text: string }
  | { type: 'tool_call'; id: string; name: string; args: unknown }
  | { type: 'tool_result'; id: string; name: string; result: unknown; isError: boolean }
  | { type: 'notice'; level: 'info' | 'warn' | 'debug'; message: string }
  | { type: 'model_fallback'; from: string; to: string; reason: string }
  | { type: 'compressed'; from: string; to: string; summarized: number }
  | {
      type: 'done';
      sessionId: string;
      text: string;
      usage: TokenUsage;
      sessionUsage: TokenUsage;
      steps: number;
      /** Why the turn ended. */
      reason: 'answered' | 'max_iterations' | 'limit' | 'cancelled' | 'failed';
      error?: string;
    };

/** A model the loop can call, with the protocol it speaks for tools. */
export interface ChainedModel {
  /** Shown in events and errors, e.g. `dashscope/qwen3-max`. */
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: the AI SDK's LanguageModel union.
  model: any;
  /** `native` function calling, or the ReAct text protocol. */
  toolProtocol: 'native' | 'react';
  /** Context window in tokens, for compression. */
  contextWindow: number;
  /** Sampling temperature; default the provider's. */
  temperature?: number | undefined;
  /** Cap on the tokens of one answer; default the provider's. */
  maxOutputTokens?: number | undefined;
}

/** Adds two usages. */
export function addUsage(a: TokenUsage, b: Partial<TokenUsage>): TokenUsage {
  return {
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
  };
}

/** No tokens. */
export const noUsage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
