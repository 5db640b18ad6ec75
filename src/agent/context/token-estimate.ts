import type { ModelMessage } from 'ai';

const cjk = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]/gu;

/**
 * Tokens a text is likely to cost without a tokenizer: about one per CJK character and one per four
 * other characters, which errs high for English and close for Chinese; used to decide compression.
 */
export function estimateTokens(text: string): number {
  const wide = text.match(cjk)?.length ?? 0;
  return wide + Math.ceil((text.length - wide) / 4);
}

/** Estimated tokens of a conversation, tool calls and results included. */
export function estimateMessages(messages: readonly ModelMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += 4 + estimateTokens(messageText(message));
  }
  return total;
}

/** The text of a message as a summary or hook sees it: text parts, tool calls and results as JSON. */
export function messageText(message: ModelMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => {
      switch (part.type) {
        case 'text':
          return part.text;
        case 'tool-call':
          return `[tool call ${part.toolName} ${JSON.stringify(part.input)}]`;
        case 'tool-result':
          return `[tool result ${part.toolName} ${JSON.stringify(part.output)}]`;
        default:
          return '';
      }
    })
    .join('\n');
}
