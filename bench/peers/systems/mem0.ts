import { join } from 'node:path';
import { embedDimensions } from '../embed-server.js';
import type { OpenSystem } from './system.js';
import { benchUser } from './system.js';

/**
 * mem0 OSS with its SQLite-backed `memory` vector store and the shared embedder; `infer: false`
 * stores each text as it is (no LLM), as Mnemos' passthrough does. It has no bulk add.
 */
export const openMem0: OpenSystem = async (folder, embedUrl) => {
  process.env.MEM0_TELEMETRY = 'false';
  const { Memory } = await import('mem0ai/oss');
  const memory = new Memory({
    version: 'v1.1',
    embedder: {
      provider: 'openai',
      config: {
        apiKey: 'unused',
        baseURL: embedUrl,
        model: 'bench-hash',
        embeddingDims: embedDimensions,
      },
    },
    vectorStore: {
      provider: 'memory',
      config: {
        collectionName: 'bench',
        dimension: embedDimensions,
        dbPath: join(folder, 'vectors.db'),
      },
    },
    // Never called with infer: false; configured because mem0 requires an LLM section.
    llm: { provider: 'openai', config: { apiKey: 'unused', baseURL: embedUrl, model: 'unused' } },
    historyDbPath: join(folder, 'history.db'),
  });
  return {
    addOne: async (fact) => {
      await memory.add([{ role: 'user', content: fact.text }], { userId: benchUser, infer: false });
    },
    search: async (question, limit) => {
      const found = await memory.search(question, { filters: { user_id: benchUser }, topK: limit });
      return found.results.map((item) => item.memory);
    },
    close: async () => {},
  };
};
