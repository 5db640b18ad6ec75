import { capToolValue } from '../../../core/message-parts.js';

/** Most characters of one tool result handed to the model. */
export const maxMcpResultCharacters = 65_536;

interface ContentItem {
  type: string;
  text?: string;
  mimeType?: string;
  data?: string;
  uri?: string;
  name?: string;
  resource?: { uri?: string; text?: string; mimeType?: string; blob?: string };
}

/**
 * A `tools/call` result as text for the model: text content joined, other content described
 * (images, audio, resources by type and size or URI), structured content as JSON when there is no
 * content, cut at {@link maxMcpResultCharacters} with a visible marker.
 */
export function mcpResultText(result: {
  content?: unknown;
  structuredContent?: unknown;
  toolResult?: unknown;
}): string {
  const content = Array.isArray(result.content) ? (result.content as ContentItem[]) : [];
  const parts = content.map(describe);
  if (parts.length === 0 && result.structuredContent !== undefined) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  if (parts.length === 0 && result.toolResult !== undefined) {
    parts.push(JSON.stringify(result.toolResult));
  }
  const text = parts.join('\n');
  return String(capToolValue(text, maxMcpResultCharacters).value);
}

function describe(item: ContentItem): string {
  switch (item.type) {
    case 'text':
      return item.text ?? '';
    case 'image':
    case 'audio':
      return `[${item.type} ${item.mimeType ?? 'unknown type'}, ${bytesOf(item.data)} bytes]`;
    case 'resource_link':
      return `[resource link ${item.uri ?? ''}${item.name ? ` (${item.name})` : ''}]`;
    case 'resource': {
      const resource = item.resource ?? {};
      if (typeof resource.text === 'string') return resource.text;
      return `[resource ${resource.uri ?? ''}, ${resource.mimeType ?? 'unknown type'}, ${bytesOf(resource.blob)} bytes]`;
    }
    default:
      return `[${item.type} content]`;
  }
}

function bytesOf(base64: string | undefined): number {
  if (!base64) return 0;
  return Math.floor((base64.replace(/=+$/, '').length * 3) / 4);
}
