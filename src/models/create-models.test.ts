import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../../test/support/model-server.js';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { Mnemos } from '../mnemos.js';

const scope = { appId: 'app', tenantId: 'u1' };
let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer({ dimensions: 64 });
});

afterAll(async () => {
  await server.close();
});

describe('models from config.yaml', () => {
  it('embeds through an OpenAI-compatible endpoint, probing the dimension, and reranks over HTTP', async () => {
    const home = tempHome();
    process.env.MNEMOS_TEST_EMBED_KEY = 'sk-test-embed';
    try {
      const mnemos = await Mnemos.open({
        home: home.home,
        config: {
          embedder: {
            provider: 'openai-compatible',
            base_url: server.url,
            model: 'text-embedding-v4',
            api_key_env: 'MNEMOS_TEST_EMBED_KEY',
          },
          reranker: { provider: 'http', url: `${server.origin}/v1/rerank`, model: 'rerank-test' },
        },
      });
      try {
        expect(mnemos.embedder.id).toBe('openai-compatible:text-embedding-v4:64');
        await mnemos.memories.add({ scope, text: '用户希望回答风格更加正式', sync: true });
        await mnemos.memories.add({
          scope,
          text: '用户喜欢简洁的代码风格',
          sync: true,
        });
        const { results, warnings } = await mnemos.memories.search({
          scope,
          query: '回答风格',
          rerank: true,
        });
        expect(warnings).toEqual([]);
        expect(results).toHaveLength(2);
        expect(results[0]?.memory.text).toBe('用户希望回答风格更加正式');
        expect(results[0]?.matched).toContain('rerank');
        const embeddings = server.requestsTo('/v1/embeddings');
        expect(embeddings.length).toBeGreaterThanOrEqual(3);
        expect(embeddings[0]?.headers.authorization).toBe('Bearer sk-test-embed');
        expect((await mnemos.stores.get('mnemos')).dimensions).toBe(64);
      } finally {
        await mnemos.close();
      }
      const builtin = await Mnemos.open({ home: home.home });
      try {
        const error = await builtin.memories
          .search({ scope, query: 'x' })
          .catch((caught: unknown) => caught);
        expect(MnemosError.isInstance(error) && error.code).toBe('embedder_mismatch');
      } finally {
        await builtin.close();
      }
    } finally {
      delete process.env.MNEMOS_TEST_EMBED_KEY;
      home.remove();
    }
  });

  it('fails a job with an upstream error when the embedding service keeps failing, keeping the input', async () => {
    const home = tempHome();
    try {
      const mnemos = await Mnemos.open({
        home: home.home,
        config: {
          embedder: {
            provider: 'openai-compatible',
            base_url: server.url,
            model: 'm',
            dimensions: 64,
            max_retries: 0,
          },
          ingest: { max_attempts: 1 },
        },
      });
      try {
        server.failNext(1, 503, { path: '/v1/embeddings' });
        const job = await mnemos.memories.add({ scope, text: 'survives an outage', sync: true });
        expect(job.status).toBe('failed');
        expect(job.error).toMatch(/503|unavailable|server/i);
        const [stored] = await mnemos.memories.jobs({ scope, states: ['failed'] });
        expect(stored?.input.text).toBe('survives an outage');
        expect(await mnemos.memories.retryJobs({ scope })).toBe(1);
        await mnemos.drain();
        expect((await mnemos.memories.search({ scope, query: 'outage' })).results).toHaveLength(1);
      } finally {
        await mnemos.close();
      }
    } finally {
      home.remove();
    }
  });

  it('rejects an incomplete embedder configuration with the key named', async () => {
    const home = tempHome();
    try {
      const error = await Mnemos.open({
        home: home.home,
        config: { embedder: { provider: 'openai-compatible' } },
      }).catch((caught: unknown) => caught);
      expect(MnemosError.isInstance(error) && error.code).toBe('config_error');
      expect((error as Error).message).toMatch(/base_url/);
    } finally {
      home.remove();
    }
  });
});
