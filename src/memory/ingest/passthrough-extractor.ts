import type { ConversationMessage } from '../../core/conversation-message.js';
import type { ExtractedMemory, Extractor } from '../../spec/extractor.js';
import { splitText } from './text-splitter.js';

/**
 * Extractor with no model: each user or assistant message becomes one or more memory units,
 * split at sentence boundaries when long, keeping the speaker and date as metadata.
 */
export class PassthroughExtractor implements Extractor {
  readonly id = 'passthrough';

  constructor(private readonly options: { maxCharacters?: number } = {}) {}

  async doExtract(messages: readonly ConversationMessage[]): Promise<ExtractedMemory[]> {
    const maxCharacters = this.options.maxCharacters ?? 1_000;
    const out: ExtractedMemory[] = [];
    messages.forEach((message, index) => {
      if (message.role !== 'user' && message.role !== 'assistant') return;
      const metadata: Record<string, string> = { role: message.role };
      if (message.name) metadata.speaker = message.name;
      if (message.createdAt) metadata.date = message.createdAt;
      const pieces = splitText(message.content, maxCharacters);
      pieces.forEach((text, part) => {
        out.push({
          text,
          kind: 'note',
          salience: 0.5,
          sourceMessages: [index],
          metadata,
          ...(pieces.length > 1 ? { part } : {}),
        });
      });
    });
    return out;
  }
}
