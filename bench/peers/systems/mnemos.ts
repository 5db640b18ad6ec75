import { Mnemos } from '../../../src/mnemos.js';
import { embedDimensions } from '../embed-server.js';
import type { OpenSystem } from './system.js';
import { benchUser } from './system.js';

const scope = { appId: 'bench', tenantId: benchUser };

/** Mnemos on SQLite with the shared embedder as an openai-compatible one and passthrough ingestion. */
export const openMnemos: OpenSystem = async (folder, embedUrl) => {
  process.env.BENCH_EMBED_KEY = 'unused';
  const mnemos = await Mnemos.open({
    home: folder,
    config: {
      app_id: scope.appId,
      tenant_id: scope.tenantId,
      extractor: 'passthrough',
      embedder: {
        provider: 'openai-compatible',
        base_url: embedUrl,
        model: 'bench-hash',
        dimensions: embedDimensions,
        api_key_env: 'BENCH_EMBED_KEY',
      },
    },
  });
  return {
    addOne: async (fact) => {
      await mnemos.memories.add({ scope, text: fact.text, sync: true });
    },
    addMany: async (facts) => {
      await mnemos.memories.addMany(facts.map((fact) => ({ scope, text: fact.text })));
      await mnemos.drain();
    },
    search: async (question, limit) => {
      const found = await mnemos.memories.search({
        scope: { ...scope, agentId: '*', runId: '*' },
        query: question,
        topK: limit,
      });
      return found.results.map((result) => result.memory.text);
    },
    close: () => mnemos.close(),
  };
};
