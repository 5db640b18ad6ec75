import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Fact } from '../facts.js';
import type { OpenSystem } from './system.js';
import { benchUser } from './system.js';

/**
 * Mastra memory on libsql (its default) with semantic recall over the shared embedder: each fact is
 * a user message of one thread; search is `recall` with a vector search string, resource-scoped.
 */
export const openMastra: OpenSystem = async (folder, embedUrl) => {
  const [{ Memory }, { LibSQLStore, LibSQLVector }, { createOpenAICompatible }] = await Promise.all(
    [import('@mastra/memory'), import('@mastra/libsql'), import('@ai-sdk/openai-compatible')],
  );
  const url = `file:${join(folder, 'mastra.db')}`;
  const semanticRecall = { topK: 5, messageRange: 0, scope: 'resource' as const };
  const memory = new Memory({
    storage: new LibSQLStore({ id: 'bench-storage', url }),
    vector: new LibSQLVector({ id: 'bench-vector', url }),
    embedder: createOpenAICompatible({ name: 'bench', baseURL: embedUrl }).textEmbeddingModel(
      'bench-hash',
    ),
    options: { lastMessages: false, semanticRecall },
  });
  const threadId = randomUUID();
  await memory.saveThread({
    thread: {
      id: threadId,
      resourceId: benchUser,
      title: 'bench',
      createdAt: new Date(),
      updatedAt: new Date(),
    },
  });
  // Distinct timestamps, as a conversation has: recall's include windows are ordered by them.
  let clock = Date.now() - 86_400_000;
  const message = (fact: Fact) => ({
    id: randomUUID(),
    role: 'user' as const,
    createdAt: new Date(clock++),
    threadId,
    resourceId: benchUser,
    content: { format: 2 as const, parts: [{ type: 'text' as const, text: fact.text }] },
  });
  const save = async (facts: Fact[]): Promise<void> => {
    await memory.saveMessages({ messages: facts.map(message) });
  };
  return {
    addOne: (fact) => save([fact]),
    addMany: save,
    search: async (question, limit) => {
      const { messages } = await memory.recall({
        threadId,
        resourceId: benchUser,
        vectorSearchString: question,
        threadConfig: { lastMessages: false, semanticRecall: { ...semanticRecall, topK: limit } },
      });
      return messages.flatMap((found) =>
        found.content.parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])),
      );
    },
    close: async () => {},
  };
};
