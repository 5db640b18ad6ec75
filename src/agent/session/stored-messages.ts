import type { ModelMessage } from 'ai';
import type { SessionMessage } from '../../sessions/session-record.js';

/** A message as the session service stores it. */
export interface StoredMessage {
  role: SessionMessage['role'];
  content: string;
  name?: string;
  createdAt?: string;
  metadata?: Record<string, string>;
}

/**
 * A conversation message as a session message: text in `content`, tool calls and results as JSON in
 * metadata (`tool_calls`, `tool_results`), so a resumed session rebuilds the exact model messages.
 */
export function toStored(message: ModelMessage, at: string): StoredMessage {
  if (typeof message.content === 'string') {
    return { role: message.role, content: message.content, createdAt: at };
  }
  if (message.role === 'assistant') {
    const text = message.content
      .filter((part) => part.type === 'text')
      .map((part) => (part as { text: string }).text)
      .join('');
    const calls = message.content.filter((part) => part.type === 'tool-call');
    return {
      role: 'assistant',
      content: text,
      createdAt: at,
      ...(calls.length > 0 ? { metadata: { tool_calls: JSON.stringify(calls) } } : {}),
    };
  }
  if (message.role === 'tool') {
    const results = message.content.filter((part) => part.type === 'tool-result');
    return {
      role: 'tool',
      content: results
        .map(
          (part) =>
            `${part.toolName}: ${JSON.stringify(part.output.type === 'text' || part.output.type === 'json' ? part.output.value : part.output)}`,
        )
        .join('\n'),
      name: results
        .map((part) => part.toolName)
        .join(',')
        .slice(0, 128),
      createdAt: at,
      metadata: { tool_results: JSON.stringify(results) },
    };
  }
  const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return { role: message.role, content: text, createdAt: at };
}

/** Session messages back as conversation messages; `system` rows (summaries) are left to the caller. */
export function fromStored(messages: readonly SessionMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (const message of messages) {
    if (message.role === 'user') out.push({ role: 'user', content: message.content });
    else if (message.role === 'assistant') {
      const calls = parseParts(message.metadata.tool_calls);
      out.push(
        calls.length > 0
          ? {
              role: 'assistant',
              content: [
                ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
                ...(calls as never[]),
              ],
            }
          : { role: 'assistant', content: message.content },
      );
    } else if (message.role === 'tool') {
      const results = parseParts(message.metadata.tool_results);
      if (results.length > 0) out.push({ role: 'tool', content: results as never[] });
    }
  }
  return out;
}

function parseParts(json: string | undefined): unknown[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}
