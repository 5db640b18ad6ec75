import type { ModelMessage, ToolResultPart as ModelToolResultPart } from 'ai';
import { toolValueText, truncatedLength } from '../../core/message-parts.js';
import type {
  SessionMessage,
  SessionMessagePart,
  ToolCallPart,
  ToolResultPart,
} from '../../core/session-record.js';
import type { AppendMessage } from '../../sessions/session-service.js';

/** A message as the session service stores it (what `SessionService.append` takes). */
export type StoredMessage = AppendMessage;

/** Characters of each tool result shown in a tool message's text, twice that in all (the full results are in its parts). */
const previewCharacters = 2_000;

/**
 * A conversation message as a session message: text in `content`, tool calls and results as
 * `parts`, so a resumed session rebuilds the exact model messages. A tool message's `content` is a
 * short preview of its results, for search and plain listings.
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
    const calls: ToolCallPart[] = message.content.flatMap((part) =>
      part.type === 'tool-call'
        ? [
            {
              type: 'tool-call' as const,
              toolCallId: part.toolCallId,
              toolName: part.toolName,
              input: part.input,
            },
          ]
        : [],
    );
    return {
      role: 'assistant',
      content: text,
      createdAt: at,
      ...(calls.length > 0 ? { parts: calls } : {}),
    };
  }
  if (message.role === 'tool') {
    const results: ToolResultPart[] = message.content.flatMap((part) =>
      part.type === 'tool-result' ? [resultPart(part)] : [],
    );
    return {
      role: 'tool',
      content: clip(
        results.map((part) => `${part.toolName}: ${clip(toolValueText(part.output))}`).join('\n'),
        previewCharacters * 2,
      ),
      name: results
        .map((part) => part.toolName)
        .join(',')
        .slice(0, 128),
      createdAt: at,
      parts: results,
    };
  }
  const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return { role: message.role, content: text, createdAt: at };
}

/**
 * Session messages back as conversation messages; `system` rows (summaries) are left to the caller.
 * Sessions written before tool parts had their own column keep them as JSON in metadata
 * (`tool_calls`, `tool_results`); those are read too.
 */
export function fromStored(messages: readonly SessionMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (const message of messages) {
    if (message.role === 'user') out.push({ role: 'user', content: message.content });
    else if (message.role === 'assistant') {
      const calls = partsOf(message, 'tool-call').map((part) => ({
        type: 'tool-call' as const,
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        input: part.input,
      }));
      const legacy = calls.length > 0 ? [] : legacyParts(message.metadata.tool_calls);
      const all = [...calls, ...(legacy as typeof calls)];
      out.push(
        all.length > 0
          ? {
              role: 'assistant',
              content: [
                ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
                ...all,
              ],
            }
          : { role: 'assistant', content: message.content },
      );
    } else if (message.role === 'tool') {
      const results: ModelToolResultPart[] = partsOf(message, 'tool-result').map(modelResult);
      const all =
        results.length > 0
          ? results
          : (legacyParts(message.metadata.tool_results) as ModelToolResultPart[]);
      if (all.length > 0) out.push({ role: 'tool', content: all });
    }
  }
  return out;
}

function resultPart(part: ModelToolResultPart): ToolResultPart {
  const output = part.output;
  const isError = output.type === 'error-text' || output.type === 'error-json';
  const value = 'value' in output ? output.value : output;
  const truncatedFrom = truncatedLength(value);
  return {
    type: 'tool-result',
    toolCallId: part.toolCallId,
    toolName: part.toolName,
    output: value,
    isError,
    ...(truncatedFrom === undefined ? {} : { truncatedFrom }),
  };
}

function modelResult(part: ToolResultPart): ModelToolResultPart {
  const text = typeof part.output === 'string';
  return {
    type: 'tool-result',
    toolCallId: part.toolCallId,
    toolName: part.toolName,
    output: part.isError
      ? text
        ? { type: 'error-text', value: part.output as string }
        : { type: 'error-json', value: (part.output ?? null) as never }
      : text
        ? { type: 'text', value: part.output as string }
        : { type: 'json', value: (part.output ?? null) as never },
  };
}

function partsOf<T extends SessionMessagePart['type']>(
  message: SessionMessage,
  type: T,
): Array<Extract<SessionMessagePart, { type: T }>> {
  return (message.parts ?? []).filter(
    (part): part is Extract<SessionMessagePart, { type: T }> => part.type === type,
  );
}

function clip(text: string, limit = previewCharacters): string {
  // U+0000 cannot be stored as text in every backend; the full output keeps it, JSON-escaped.
  const clean = text.replaceAll('\u0000', '\uFFFD');
  if (clean.length <= limit) return clean;
  // Never end on half a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(clean.charAt(limit - 1)) ? limit - 1 : limit;
  return `${clean.slice(0, end)}…`;
}

function legacyParts(json: string | undefined): unknown[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}
