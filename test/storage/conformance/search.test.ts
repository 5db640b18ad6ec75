import { describe, expect } from 'vitest';
import type { Mnemos } from '../../../src/mnemos.js';
import { indexTokens, queryTokens } from '../../../src/text/tokenizer.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, embedder, everything, newMemory, scopeOf, seed, t0 } from './fixtures.js';

/** One small corpus, Chinese and English, added through the engine on every backend. */
const corpus = {
  style: '用户希望回答风格更加正式',
  city: '用户住在杭州，每天骑自行车上班',
  food: '用户不吃辣，喜欢清淡的粤菜',
  stack: '我用TypeScript写后端，不喜欢Java',
  coffee: 'The user drinks black coffee every morning',
  tea: 'The user likes green tea in the afternoon',
  swim: 'The user enjoys swimming in the lake',
  deploy: 'The deploy key rotates every Tuesday',
} as const;

type CorpusKey = keyof typeof corpus;

const chinese = new Set<CorpusKey>(['style', 'city', 'food', 'stack']);

async function addCorpus(mnemos: Mnemos): Promise<Record<CorpusKey, string>> {
  const ids = {} as Record<CorpusKey, string>;
  for (const [key, text] of Object.entries(corpus) as Array<[CorpusKey, string]>) {
    const job = await mnemos.memories.add({
      scope: { ...alice, agentId: key === 'stack' ? 'coder' : 'default' },
      text,
      kind: key === 'style' || key === 'food' ? 'preference' : 'fact',
      metadata: { language: chinese.has(key) ? 'zh' : 'en' },
      sync: true,
    });
    ids[key] = job.memoryIds[0]!;
  }
  return ids;
}

describe.each(backends)('hybrid search on $name', (backend) => {
  const { it, context } = conformance(backend, 'hybrid search');

  it('ranks the expected memory first for Chinese, English and mixed queries', async () => {
    const mnemos = await context.engine();
    const ids = await addCorpus(mnemos);
    const cases: Array<[string, CorpusKey]> = [
      ['回答风格', 'style'],
      ['杭州', 'city'],
      ['骑自行车', 'city'],
      ['辣的菜', 'food'],
      ['typescript', 'stack'],
      ['coffee in the morning', 'coffee'],
      ['green tea', 'tea'],
      ['deploy key', 'deploy'],
    ];
    for (const [query, expected] of cases) {
      const { results, warnings } = await mnemos.memories.search({ scope: alice, query });
      expect(warnings).toEqual([]);
      expect({ query, first: results[0]?.memory.id }).toEqual({ query, first: ids[expected] });
      expect(results[0]!.score).toBeGreaterThan(0);
      const scores = results.map((result) => result.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    const { results } = await mnemos.memories.search({ scope: alice, query: '回答风格' });
    expect(results[0]!.matched).toEqual(['keyword', 'vector']);
    expect(results[0]!.signals.keyword?.rank).toBe(1);
    expect(results[0]!.signals.vector?.rank).toBe(1);
  });

  it('narrows results by agent, kind, metadata and creation time', async () => {
    const mnemos = await context.engine();
    const ids = await addCorpus(mnemos);
    const found = async (extra: Record<string, unknown>, query = '用户 user 喜欢 likes') =>
      (await mnemos.memories.search({ scope: alice, query, topK: 20, ...extra })).results.map(
        (result) => result.memory.id,
      );
    expect(await found({ scope: { ...alice, agentId: 'coder' } }, '喜欢')).toEqual([ids.stack]);
    expect((await found({ kinds: ['preference'] })).sort()).toEqual([ids.style, ids.food].sort());
    const english = await found({ metadata: { language: 'en' } });
    expect(english.length).toBeGreaterThan(0);
    expect(english.every((id) => [ids.coffee, ids.tea, ids.swim, ids.deploy].includes(id))).toBe(
      true,
    );
    expect(await found({ createdAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(
      (await found({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).length,
    ).toBeGreaterThan(0);
  });

  it('lets keyword-only hits through when vectors find nothing', async () => {
    const mnemos = await context.engine({ config: { retrieval: { min_vector_similarity: 1 } } });
    const ids = await addCorpus(mnemos);
    for (const [query, expected] of [
      ['Tuesday', 'deploy'],
      ['杭州', 'city'],
    ] as const) {
      const { results } = await mnemos.memories.search({ scope: alice, query });
      expect(results.map((result) => result.memory.id)).toEqual([ids[expected]]);
      expect(results[0]!.matched).toEqual(['keyword']);
    }
  });

  it('lets vector-only hits through for word forms BM25 cannot match', async () => {
    const mnemos = await context.engine({ config: { retrieval: { min_vector_similarity: 0.1 } } });
    const ids = await addCorpus(mnemos);
    const { results } = await mnemos.memories.search({ scope: alice, query: 'swimmer' });
    expect(results[0]!.memory.id).toBe(ids.swim);
    expect(results[0]!.matched).toEqual(['vector']);
    expect(results[0]!.signals.vector?.similarity).toBeGreaterThan(0.1);
  });

  it('never returns deleted memories', async () => {
    const mnemos = await context.engine();
    const ids = await addCorpus(mnemos);
    await mnemos.memories.delete({ scope: alice, id: ids.city });
    const { results } = await mnemos.memories.search({
      scope: alice,
      query: '杭州',
      includeInvalidated: true,
    });
    expect(results.map((result) => result.memory.id)).not.toContain(ids.city);
  });

  it('excludes invalidated memories by default and includes them on request', async () => {
    const mnemos = await context.engine();
    const ids = await addCorpus(mnemos);
    const current = (
      await mnemos.memories.add({ scope: alice, text: '用户现在住在上海', sync: true })
    ).memoryIds[0]!;
    await mnemos.storage.memories.apply(
      'mnemos',
      alice,
      [
        {
          type: 'update',
          id: ids.city,
          reason: 'contradicted',
          patch: { validTo: Date.now(), tokens: indexTokens(corpus.city).join(' ') },
        },
      ],
      Date.now(),
    );
    const byDefault = await mnemos.memories.search({ scope: alice, query: '住在杭州' });
    expect(byDefault.results.map((result) => result.memory.id)).not.toContain(ids.city);
    expect(byDefault.results[0]!.memory.id).toBe(current);

    const onRequest = await mnemos.memories.search({
      scope: alice,
      query: '住在杭州',
      includeInvalidated: true,
    });
    const invalidated = onRequest.results.find((result) => result.memory.id === ids.city);
    expect(invalidated?.memory.validTo).not.toBeNull();
    expect(invalidated?.matched).toEqual(['keyword', 'vector']);
    expect(onRequest.results.map((result) => result.memory.id)).toContain(current);

    // Keyword-only and vector-only routes to an invalidated memory both work.
    const keywordOnly = await mnemos.memories.search({
      scope: alice,
      query: '自行车',
      includeInvalidated: true,
    });
    expect(keywordOnly.results[0]?.memory.id).toBe(ids.city);
    expect(
      (await mnemos.memories.search({ scope: alice, query: '自行车' })).results.map(
        (r) => r.memory.id,
      ),
    ).not.toContain(ids.city);
  });
  it('sees writes and deletes made through another connection', async () => {
    const writer = await context.engine();
    const reader = await context.anotherEngine();
    const first = (await writer.memories.add({ scope: alice, text: '用户养了一只猫', sync: true }))
      .memoryIds[0]!;
    const ids = async (query: string) =>
      (await reader.memories.search({ scope: alice, query })).results.map(
        (result) => result.memory.id,
      );
    expect(await ids('猫')).toEqual([first]);
    // The reader's vector index is warm now; later writes must still reach it.
    const second = (
      await writer.memories.add({
        scope: alice,
        text: 'The user adopted a cat named Mochi',
        sync: true,
      })
    ).memoryIds[0]!;
    expect(await ids('Mochi')).toContain(second);
    await writer.memories.delete({ scope: alice, id: first });
    expect(await ids('猫')).not.toContain(first);
  });
});

describe.each(backends)('search primitives on $name', (backend) => {
  const { it, context } = conformance(backend, 'search primitives');

  it('ranks full-text hits best first inside the pattern and filter', async () => {
    const { storage } = context;
    const [twice, once, other, coder] = await seed(storage, [
      newMemory(scopeOf(alice), 'kayak kayak trip', { kind: 'note' }),
      newMemory(scopeOf(alice), 'kayak rental shop downtown near the river', { kind: 'fact' }),
      newMemory(scopeOf(alice), 'nothing relevant here'),
      newMemory(scopeOf(alice, 'coder'), '皮划艇 kayak 俱乐部', { kind: 'fact' }),
    ]);
    const keysOf = async (ids: string[]) =>
      new Map(
        (await storage.memories.get('mnemos', alice, ids, { includeDeleted: true })).map((row) => [
          row.id,
          row.key,
        ]),
      );
    const keys = await keysOf([twice!.id, once!.id, other!.id, coder!.id]);
    const hits = await storage.search.text('mnemos', everything(alice), ['kayak'], { limit: 10 });
    expect(hits.map((hit) => hit.key).sort()).toEqual(
      [keys.get(twice!.id), keys.get(once!.id), keys.get(coder!.id)].sort(),
    );
    expect(hits[0]!.key).toBe(keys.get(twice!.id));
    for (const hit of hits) expect(hit.score).toBeGreaterThan(0);
    expect(hits.map((hit) => hit.score)).toEqual(
      hits.map((hit) => hit.score).sort((a, b) => b - a),
    );

    expect(
      (await storage.search.text('mnemos', everything(alice), ['kayak'], { limit: 1 })).length,
    ).toBe(1);
    expect(
      (
        await storage.search.text('mnemos', { ...alice, agentId: 'coder', runId: '*' }, ['kayak'], {
          limit: 10,
        })
      ).map((hit) => hit.key),
    ).toEqual([keys.get(coder!.id)]);
    expect(
      (
        await storage.search.text('mnemos', everything(alice), ['kayak'], {
          limit: 10,
          filter: { kinds: ['note'] },
        })
      ).map((hit) => hit.key),
    ).toEqual([keys.get(twice!.id)]);
    expect(
      (
        await storage.search.text('mnemos', everything(alice), queryTokens('皮划艇'), { limit: 10 })
      ).map((hit) => hit.key),
    ).toEqual([keys.get(coder!.id)]);
    expect(
      (await storage.search.text('mnemos', everything(alice), ['艇'], { limit: 10 })).map(
        (hit) => hit.key,
      ),
    ).toEqual([keys.get(coder!.id)]);
    expect(await storage.search.text('mnemos', everything(alice), [], { limit: 10 })).toEqual([]);
    expect(
      await storage.search.text('mnemos', everything(alice), ['absentword'], { limit: 10 }),
    ).toEqual([]);
  });

  it('weighs a query token by how many times it is given', async () => {
    const { storage } = context;
    const [canoe, paddle] = await seed(storage, [
      newMemory(scopeOf(alice), 'kayak trip on the lake with friends'),
      newMemory(scopeOf(alice), 'raft trip on the lake with friends'),
    ]);
    const keys = new Map(
      (
        await storage.memories.get('mnemos', alice, [canoe!.id, paddle!.id], {
          includeDeleted: true,
        })
      ).map((row) => [row.id, row.key]),
    );
    const firstFor = async (tokens: string[]) =>
      (await storage.search.text('mnemos', everything(alice), tokens, { limit: 10 }))[0]!.key;
    expect(await firstFor(['kayak', 'raft', 'raft'])).toBe(keys.get(paddle!.id));
    expect(await firstFor(['kayak', 'kayak', 'raft'])).toBe(keys.get(canoe!.id));
  });

  it('finds rows indexed before stemming by the surface forms a query adds', async () => {
    const { storage } = context;
    const unstemmed = {
      ...newMemory(scopeOf(alice), 'Joined a painting class'),
      tokens: 'joined a painting class',
    };
    const [stored] = await seed(storage, [unstemmed]);
    const [row] = await storage.memories.get('mnemos', alice, [stored!.id], {
      includeDeleted: true,
    });
    const hits = await storage.search.text('mnemos', everything(alice), queryTokens('painting'), {
      limit: 10,
    });
    expect(hits.map((hit) => hit.key)).toEqual([row!.key]);
  });

  it('moves invalidated memories to their own full-text and vector lists', async () => {
    const { storage } = context;
    const [live, old] = await seed(storage, [
      newMemory(scopeOf(alice), 'Lives in Hangzhou now'),
      newMemory(scopeOf(alice), 'Lived in Hangzhou before'),
    ]);
    await storage.memories.apply(
      'mnemos',
      alice,
      [
        {
          type: 'update',
          id: old!.id,
          reason: 'contradicted',
          patch: { validTo: t0 + 10, tokens: indexTokens('Lived in Hangzhou before').join(' ') },
        },
      ],
      t0 + 10,
    );
    const keys = new Map(
      (
        await storage.memories.get('mnemos', alice, [live!.id, old!.id], { includeDeleted: true })
      ).map((row) => [row.id, row.key]),
    );
    expect(
      (await storage.search.text('mnemos', everything(alice), ['hangzhou'], { limit: 10 })).map(
        (hit) => hit.key,
      ),
    ).toEqual([keys.get(live!.id)]);
    expect(
      (
        await storage.search.text('mnemos', everything(alice), ['hangzhou'], {
          limit: 10,
          invalidated: true,
        })
      ).map((hit) => hit.key),
    ).toEqual([keys.get(old!.id)]);
    const vectors = await storage.search.invalidatedVectors('mnemos', everything(alice), {
      limit: 10,
    });
    expect(vectors.map((row) => row.key)).toEqual([keys.get(old!.id)]);
    expect(vectors[0]!.vector).toEqual(embedder.embedOne('Lived in Hangzhou before'));
    expect([...(await storage.search.matchingKeys('mnemos', everything(alice), {}))]).toEqual([
      keys.get(live!.id),
    ]);
    await storage.memories.delete('mnemos', alice, old!.id, { reason: 'api', now: t0 + 20 });
    expect(
      await storage.search.text('mnemos', everything(alice), ['hangzhou'], {
        limit: 10,
        invalidated: true,
      }),
    ).toEqual([]);
    expect(
      await storage.search.invalidatedVectors('mnemos', everything(alice), { limit: 10 }),
    ).toEqual([]);
  });

  it('ranks vectors natively by cosine, or refuses when the engine indexes them itself', async () => {
    const { storage } = context;
    const [near, far, elsewhere] = await seed(storage, [
      newMemory(scopeOf(alice), 'The user enjoys swimming in the lake'),
      newMemory(scopeOf(alice), '用户住在杭州'),
      newMemory(scopeOf(alice, 'coder'), 'The user enjoys swimming in the sea'),
    ]);
    const query = embedder.embedOne('swimming in a lake');
    if (!storage.capabilities.nativeVectorSearch) {
      await expect(
        storage.search.vectors('mnemos', everything(alice), query, { limit: 10 }),
      ).rejects.toBeTruthy();
      return;
    }
    const keys = new Map(
      (
        await storage.memories.get('mnemos', alice, [near!.id, far!.id, elsewhere!.id], {
          includeDeleted: true,
        })
      ).map((row) => [row.id, row.key]),
    );
    const hits = await storage.search.vectors('mnemos', everything(alice), query, { limit: 10 });
    expect(hits[0]!.key).toBe(keys.get(near!.id));
    const cosine = (a: Float32Array, b: Float32Array) =>
      a.reduce((sum, value, index) => sum + value * b[index]!, 0);
    expect(hits[0]!.score).toBeCloseTo(cosine(query, embedder.embedOne(near!.text)), 4);
    expect(hits.map((hit) => hit.score)).toEqual(
      hits.map((hit) => hit.score).sort((a, b) => b - a),
    );
    expect(
      (
        await storage.search.vectors('mnemos', { ...alice, agentId: 'coder', runId: '*' }, query, {
          limit: 10,
        })
      ).map((hit) => hit.key),
    ).toEqual([keys.get(elsewhere!.id)]);
    expect(
      await storage.search.vectors('mnemos', everything(alice), query, { limit: 1 }),
    ).toHaveLength(1);
    await storage.memories.delete('mnemos', alice, near!.id, { reason: 'api', now: t0 + 10 });
    expect(
      (await storage.search.vectors('mnemos', everything(alice), query, { limit: 10 })).map(
        (hit) => hit.key,
      ),
    ).not.toContain(keys.get(near!.id));
  });
});
