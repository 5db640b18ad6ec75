import { generateText, type ModelMessage } from 'ai';
import type { ChainedModel, TokenUsage } from '../../core/agent-events.js';
import { estimateMessages, estimateTokens, messageText } from './token-estimate.js';

/** When and how much to compress. */
export interface CompressionPolicy {
  /** The model's window, in tokens. */
  contextWindow: number;
  /** Share of the window at which compression starts. */
  compressAt: number;
  /** Most recent messages kept as they are. */
  protectLast: number;
}

/** True when the prompt of the next call would pass the policy's share of the window. */
export function needsCompression(
  system: string,
  history: readonly ModelMessage[],
  policy: CompressionPolicy,
): boolean {
  if (history.length <= policy.protectLast) return false;
  const total = estimateTokens(system) + estimateMessages(history);
  return total > policy.contextWindow * policy.compressAt;
}

/**
 * Splits history into the part to summarise and the protected tail. The tail starts at a user
 * message, so a tool call is never separated from its result.
 */
export function splitHistory(
  history: readonly ModelMessage[],
  protectLast: number,
): { older: ModelMessage[]; kept: ModelMessage[] } {
  let cut = Math.max(0, history.length - protectLast);
  while (cut > 0 && history[cut]?.role !== 'user') cut--;
  return { older: history.slice(0, cut), kept: history.slice(cut) };
}

const summaryInstructions = `Summarise the conversation below so that it can continue without it.
Keep: what the user wants and asked, facts and preferences the user stated, decisions made, results of tool calls that matter, and open tasks.
Write in the language the conversation uses. Keep names, numbers, paths and versions exactly. Be concise: bullet points, no preamble.`;

/** One model call that summarises older messages, with the notes providers asked to keep. */
export async function summarize(
  model: ChainedModel,
  older: readonly ModelMessage[],
  notes: readonly string[],
  signal: AbortSignal,
  previous?: string,
): Promise<{ summary: string; usage: TokenUsage }> {
  const transcript = older
    .map((message) => `${message.role.toUpperCase()}: ${messageText(message)}`)
    .join('\n\n');
  const extra =
    notes.length > 0 ? `\n\nNOTES TO KEEP (from memory providers):\n${notes.join('\n')}` : '';
  const earlier = previous ? `EARLIER SUMMARY:\n${previous}\n\n` : '';
  const result = await generateText({
    model: model.model,
    system: summaryInstructions,
    prompt: `${earlier}CONVERSATION:\n${transcript}${extra}`,
    abortSignal: signal,
    maxRetries: 0,
  });
  return {
    summary: result.text.trim(),
    usage: {
      inputTokens: result.usage.inputTokens ?? 0,
      outputTokens: result.usage.outputTokens ?? 0,
    },
  };
}
