import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { Mnemos } from '../mnemos.js';

const alice = { appId: 'app', tenantId: 'alice' };
const bob = { appId: 'app', tenantId: 'bob' };

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({ home: home.home });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

async function remember(
  text: string,
  scope: Record<string, string> = alice,
  extra: Record<string, unknown> = {},
) {
  const job = await mnemos.memories.add({ scope, text, sync: true, ...extra });
  expect(job.status).toBe('succeeded');
  return job.memoryIds[0]!;
}

async function errorOf(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error))
    throw new Error(`expected a MnemosError, got ${String(error)}`);
  return error;
}

describe('add and search', () => {
  it('finds a Chinese memory from a Chinese keyword query', async () => {
    const id = await remember('用户希望回答风格更加正式');
    await remember('用户住在杭州');
    const { results } = await mnemos.memories.search({ scope: alice, query: '回答风格' });
    expect(results[0]?.memory.id).toBe(id);
    expect(results[0]?.matched).toContain('keyword');
    expect(results[0]?.score).toBeGreaterThan(0);
  });

  it('finds English words inside mixed Chinese text', async () => {
    const id = await remember('我用TypeScript写后端，不喜欢Java');
    const { results } = await mnemos.memories.search({ scope: alice, query: 'typescript' });
    expect(results.map((result) => result.memory.id)).toContain(id);
  });

  it('lets keyword-only hits into the results when vectors find nothing', async () => {
    await mnemos.close();
    mnemos = await Mnemos.open({
      home: home.home,
      config: { retrieval: { min_vector_similarity: 1 } },
    });
    const id = await remember('The deploy key rotates every Tuesday');
    const { results } = await mnemos.memories.search({ scope: alice, query: 'Tuesday' });
    expect(results.map((result) => result.memory.id)).toEqual([id]);
    expect(results[0]?.matched).toEqual(['keyword']);
  });

  it('lets vector-only hits in for word forms BM25 cannot match', async () => {
    await mnemos.close();
    mnemos = await Mnemos.open({
      home: home.home,
      config: { retrieval: { min_vector_similarity: 0.1 } },
    });
    const id = await remember('The user enjoys swimming in the lake');
    const { results } = await mnemos.memories.search({ scope: alice, query: 'swimmer' });
    expect(results[0]?.memory.id).toBe(id);
    expect(results[0]?.matched).toEqual(['vector']);
    expect(results[0]?.signals.vector?.similarity).toBeGreaterThan(0.1);
  });

  it('ranks the better match first and reports signals', async () => {
    await remember('The user likes green tea');
    const coffee = await remember('The user drinks black coffee every morning');
    const { results } = await mnemos.memories.search({
      scope: alice,
      query: 'coffee in the morning',
    });
    expect(results[0]?.memory.id).toBe(coffee);
    expect(results[0]?.signals.keyword?.rank).toBe(1);
    expect(results[0]?.signals.recency).toBeGreaterThan(0.9);
  });

  it('returns a running job at once and finishes it in the background', async () => {
    const job = await mnemos.memories.add({ scope: alice, text: 'Asynchronous note about kayaks' });
    expect(job.status).toBe('running');
    await mnemos.drain();
    const finished = await mnemos.memories.job({ scope: alice, id: job.id });
    expect(finished.status).toBe('succeeded');
    const { results } = await mnemos.memories.search({ scope: alice, query: 'kayaks' });
    expect(results).toHaveLength(1);
  });

  it('turns conversation messages into memories with speaker and date', async () => {
    const job = await mnemos.memories.add({
      scope: alice,
      messages: [
        { role: 'user', content: 'My sister is called Mei', createdAt: '2026-03-01T10:00:00Z' },
        { role: 'assistant', content: 'Nice to know about Mei' },
      ],
      sync: true,
    });
    expect(job.memoryIds).toHaveLength(2);
    const memory = await mnemos.memories.get({ scope: alice, id: job.memoryIds[0]! });
    expect(memory.metadata).toMatchObject({ role: 'user', date: '2026-03-01T10:00:00Z' });
    expect(memory.source.jobId).toBe(job.id);
  });

  it('filters by metadata, kind and time', async () => {
    await remember('Filter target alpha', alice, { metadata: { topic: 'a' }, kind: 'preference' });
    await remember('Filter target beta', alice, { metadata: { topic: 'b' } });
    const byMetadata = await mnemos.memories.search({
      scope: alice,
      query: 'filter target',
      metadata: { topic: 'a' },
    });
    expect(byMetadata.results.map((result) => result.memory.text)).toEqual(['Filter target alpha']);
    const byKind = await mnemos.memories.search({
      scope: alice,
      query: 'filter target',
      kinds: ['fact'],
    });
    expect(byKind.results.map((result) => result.memory.text)).toEqual(['Filter target beta']);
    const future = await mnemos.memories.search({
      scope: alice,
      query: 'filter target',
      createdAfter: '2999-01-01T00:00:00Z',
    });
    expect(future.results).toEqual([]);
  });

  it('counts recalls for the use-weighting after a flush', async () => {
    const id = await remember('Recall counting memory');
    await mnemos.memories.search({ scope: alice, query: 'recall counting' });
    await mnemos.close();
    mnemos = await Mnemos.open({ home: home.home });
    const memory = await mnemos.memories.get({ scope: alice, id });
    expect(memory.accessCount).toBe(1);
    expect(memory.lastAccessedAt).not.toBeNull();
  });

  it('warns instead of failing when rerank is asked for without a reranker', async () => {
    await remember('Rerank fallback memory');
    const output = await mnemos.memories.search({
      scope: alice,
      query: 'rerank fallback',
      rerank: true,
    });
    expect(output.results).toHaveLength(1);
    expect(output.warnings[0]).toMatch(/no reranker/);
  });

  it('uses a configured reranker and falls back with a warning when it fails', async () => {
    await mnemos.close();
    let fail = false;
    mnemos = await Mnemos.open({
      home: home.home,
      reranker: {
        id: 'test-length',
        doRerank: async (_query, candidates) => {
          if (fail) throw new Error('reranker down');
          return candidates.map((candidate) => -candidate.text.length);
        },
      },
    });
    await remember('apple pie with a very long description of the recipe');
    const short = await remember('apple');
    const reranked = await mnemos.memories.search({ scope: alice, query: 'apple', rerank: true });
    expect(reranked.results[0]?.memory.id).toBe(short);
    expect(reranked.results[0]?.matched).toContain('rerank');
    fail = true;
    const fallback = await mnemos.memories.search({ scope: alice, query: 'apple', rerank: true });
    expect(fallback.results).toHaveLength(2);
    expect(fallback.warnings[0]).toMatch(/reranker down/);
  });
});

describe('list', () => {
  it('filters by kind and metadata and counts only what matches', async () => {
    await remember('Listed preference', alice, { kind: 'preference', metadata: { topic: 'x' } });
    await remember('Listed fact one', alice, { metadata: { topic: 'y' } });
    await remember('Listed fact two', alice, { metadata: { topic: 'y' } });
    const preferences = await mnemos.memories.list({ scope: alice, kinds: ['preference'] });
    expect(preferences.memories.map((memory) => memory.text)).toEqual(['Listed preference']);
    expect(preferences.total).toBe(1);
    const topicY = await mnemos.memories.list({ scope: alice, metadata: { topic: 'y' }, limit: 1 });
    expect(topicY.memories).toHaveLength(1);
    expect(topicY.total).toBe(2);
  });

  it('rejects bad filters and paging with a clear error', async () => {
    await remember('Anything');
    for (const input of [
      { metadata: { 'bad key"': 'x' } },
      { kinds: ['rumour'] },
      { limit: 0 },
      { offset: -1 },
    ]) {
      const error = await errorOf(mnemos.memories.list({ scope: alice, ...(input as object) }));
      expect(error.code).toBe('invalid_input');
    }
  });
});

describe('deduplication', () => {
  it('keeps one memory for an exact duplicate in the same scope', async () => {
    const first = await remember('The user lives in Berlin');
    const second = await remember('the user   lives in berlin');
    expect(second).toBe(first);
    expect((await mnemos.memories.list({ scope: alice })).total).toBe(1);
  });

  it('merges the same statement in other punctuation, keeping the first text and both sources', async () => {
    const first = await remember('The user lives in Berlin, Germany');
    const second = await remember('The user lives in Berlin Germany!');
    expect(second).toBe(first);
    const memory = await mnemos.memories.get({ scope: alice, id: first });
    expect(memory.text).toBe('The user lives in Berlin, Germany');
    expect(memory.sources).toHaveLength(2);
    expect(memory.sources[1]).toMatchObject({ text: 'The user lives in Berlin Germany!' });
    const history = await mnemos.memories.history({ scope: alice, id: first });
    expect(history.map((entry) => entry.event)).toEqual(['ADD']);
  });

  it('does not merge duplicates across scopes', async () => {
    const first = await remember('Shared sentence', { ...alice, agentId: 'a1' });
    const second = await remember('Shared sentence', { ...alice, agentId: 'a2' });
    expect(second).not.toBe(first);
  });
});

describe('history, delete and purge', () => {
  it('records ADD, UPDATE and DELETE with old and new text, and soft-deletes', async () => {
    const id = await remember('Favourite colour is blue');
    await mnemos.memories.update({ scope: alice, id }, { text: 'Favourite colour is green' });
    expect(
      (await mnemos.memories.search({ scope: alice, query: 'green' })).results[0]?.memory.id,
    ).toBe(id);
    await mnemos.memories.delete({ scope: alice, id });
    const history = await mnemos.memories.history({ scope: alice, id });
    expect(history.map((entry) => [entry.event, entry.oldText, entry.newText])).toEqual([
      ['ADD', null, 'Favourite colour is blue'],
      ['UPDATE', 'Favourite colour is blue', 'Favourite colour is green'],
      ['DELETE', 'Favourite colour is green', null],
    ]);
    expect((await mnemos.memories.search({ scope: alice, query: 'green' })).results).toEqual([]);
    expect((await mnemos.memories.get({ scope: alice, id })).deletedAt).not.toBeNull();
    expect((await mnemos.memories.list({ scope: alice, includeDeleted: true })).total).toBe(1);
    await mnemos.memories.delete({ scope: alice, id, purge: true });
    expect((await errorOf(mnemos.memories.get({ scope: alice, id }))).code).toBe('not_found');
    await expect(mnemos.memories.history({ scope: alice, id })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('deleteByScope removes exactly the pattern and nothing else', async () => {
    await remember('a1 r1 memory', { ...alice, agentId: 'a1', runId: 'r1' });
    await remember('a1 r2 memory', { ...alice, agentId: 'a1', runId: 'r2' });
    await remember('a2 r1 memory', { ...alice, agentId: 'a2', runId: 'r1' });
    await remember('bob a1 r1 memory', { ...bob, agentId: 'a1', runId: 'r1' });
    expect(
      await mnemos.memories.deleteByScope({ scope: { ...alice, agentId: 'a1', runId: 'r1' } }),
    ).toBe(1);
    const left = (await mnemos.memories.list({ scope: alice })).memories
      .map((memory) => memory.text)
      .sort();
    expect(left).toEqual(['a1 r2 memory', 'a2 r1 memory']);
    expect(await mnemos.memories.deleteByScope({ scope: { ...alice, agentId: 'a1' } })).toBe(1);
    expect((await mnemos.memories.list({ scope: bob })).total).toBe(1);
  });
});

describe('scope rules and tenant isolation', () => {
  it('rejects * and missing parts in writes before writing anything', async () => {
    for (const scope of [
      { ...alice, agentId: '*' },
      { ...alice, runId: 'run*' },
      { appId: 'app' },
      { tenantId: 'alice' },
    ]) {
      const error = await errorOf(mnemos.memories.add({ scope, text: 'x', sync: true }));
      expect(error.code).toBe('invalid_scope');
    }
    expect(await mnemos.stores.list()).toEqual([]);
  });

  it('requires appId and tenantId on reads and only allows a lone * wildcard', async () => {
    expect(
      (await errorOf(mnemos.memories.search({ scope: { appId: 'app' }, query: 'x' }))).code,
    ).toBe('invalid_scope');
    expect(
      (await errorOf(mnemos.memories.search({ scope: { ...alice, agentId: 'a*' }, query: 'x' })))
        .code,
    ).toBe('invalid_scope');
    expect(
      (await errorOf(mnemos.memories.deleteByScope({ scope: { appId: 'app', tenantId: '*' } })))
        .code,
    ).toBe('invalid_scope');
  });

  it('reads across agents and runs with *, and narrows with exact values', async () => {
    await remember('planner note about budgets', { ...alice, agentId: 'planner', runId: 's1' });
    await remember('coder note about budgets', { ...alice, agentId: 'coder', runId: 's2' });
    const all = await mnemos.memories.search({ scope: alice, query: 'budgets' });
    expect(all.results).toHaveLength(2);
    const planner = await mnemos.memories.search({
      scope: { ...alice, agentId: 'planner' },
      query: 'budgets',
    });
    expect(planner.results.map((result) => result.memory.scope.agentId)).toEqual(['planner']);
    const run = await mnemos.memories.search({
      scope: { ...alice, runId: 's2' },
      query: 'budgets',
    });
    expect(run.results.map((result) => result.memory.scope.runId)).toEqual(['s2']);
  });

  it('never shows or changes another tenant’s memories', async () => {
    const id = await remember('Alice secret: the vault code is 4711');
    expect(
      (await mnemos.memories.search({ scope: bob, query: 'vault code 4711' })).results,
    ).toEqual([]);
    expect((await mnemos.memories.list({ scope: bob })).total).toBe(0);
    expect((await errorOf(mnemos.memories.get({ scope: bob, id }))).code).toBe('not_found');
    await expect(mnemos.memories.history({ scope: bob, id })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(
      (await errorOf(mnemos.memories.update({ scope: bob, id }, { text: 'hacked' }))).code,
    ).toBe('not_found');
    expect((await errorOf(mnemos.memories.delete({ scope: bob, id }))).code).toBe('not_found');
    expect((await errorOf(mnemos.memories.delete({ scope: bob, id, purge: true }))).code).toBe(
      'not_found',
    );
    expect(await mnemos.memories.deleteByScope({ scope: bob })).toBe(0);
    expect((await mnemos.memories.get({ scope: alice, id })).text).toBe(
      'Alice secret: the vault code is 4711',
    );
    expect(
      (
        await mnemos.memories.search({
          scope: { appId: 'other', tenantId: 'alice' },
          query: 'vault',
        })
      ).results,
    ).toEqual([]);
  });
});

describe('input limits', () => {
  const messages = (count: number) =>
    Array.from({ length: count }, (_, index) => ({
      role: 'user' as const,
      content: `message ${index}`,
    }));

  it.each([
    ['21 messages', { messages: messages(21) }, 'limit_exceeded'],
    ['32,001 characters', { text: 'x'.repeat(32_001) }, 'limit_exceeded'],
    [
      '32,001 characters over messages',
      {
        messages: [
          { role: 'user', content: 'y'.repeat(16_001) },
          { role: 'user', content: 'y'.repeat(16_000) },
        ],
      },
      'limit_exceeded',
    ],
    [
      '17 metadata keys',
      {
        text: 'x',
        metadata: Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v'])),
      },
      'limit_exceeded',
    ],
    ['a non-string metadata value', { text: 'x', metadata: { count: 3 } }, 'invalid_input'],
    ['both text and messages', { text: 'x', messages: messages(1) }, 'invalid_input'],
    ['neither text nor messages', {}, 'invalid_input'],
    ['blank text', { text: '   ' }, 'invalid_input'],
    ['an unknown field', { text: 'x', colour: 'red' }, 'invalid_input'],
    ['an unknown kind', { text: 'x', kind: 'rumour' }, 'invalid_input'],
    ['a bad store name', { text: 'x', store: 'bad-name!' }, 'invalid_input'],
    ['a 33-character store name', { text: 'x', store: 's'.repeat(33) }, 'invalid_input'],
  ])('rejects %s before writing anything', async (_label, input, code) => {
    const error = await errorOf(
      mnemos.memories.add({ scope: alice, sync: true, ...(input as object) }),
    );
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    expect(await mnemos.stores.list()).toEqual([]);
  });

  it('accepts exactly the limits', async () => {
    const job = await mnemos.memories.add({
      scope: alice,
      messages: messages(20),
      metadata: Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`, 'v'])),
      sync: true,
    });
    expect(job.status).toBe('succeeded');
    expect(
      (await mnemos.memories.add({ scope: alice, text: 'z'.repeat(32_000), sync: true })).status,
    ).toBe('succeeded');
  });

  it.each([
    ['topK 0', { topK: 0 }],
    ['topK 51', { topK: 51 }],
    ['topK 2.5', { topK: 2.5 }],
    ['an empty query', { query: '' }],
  ])('rejects a search with %s', async (_label, input) => {
    const error = await errorOf(mnemos.memories.search({ scope: alice, query: 'x', ...input }));
    expect(error.code).toBe('invalid_input');
  });

  it('rejects a whole batch when one request is bad, naming it', async () => {
    const error = await errorOf(
      mnemos.memories.addMany([
        { scope: alice, text: 'fine' },
        { scope: alice, text: 'x'.repeat(32_001) },
      ]),
    );
    expect(error.message).toMatch(/^request 2:/);
    expect(await mnemos.stores.list()).toEqual([]);
  });
});

describe('stores', () => {
  it('creates, describes, updates, lists and deletes', async () => {
    const created = await mnemos.stores.create({ name: 'support_bot', description: 'support' });
    expect(created).toMatchObject({
      name: 'support_bot',
      embedderId: 'builtin:hash-ngram-v2:256',
      dimensions: 256,
    });
    expect((await errorOf(mnemos.stores.create({ name: 'support_bot' }))).code).toBe(
      'already_exists',
    );
    expect((await mnemos.stores.update('support_bot', { description: 'new' })).description).toBe(
      'new',
    );
    await mnemos.memories.add({
      store: 'support_bot',
      scope: alice,
      text: 'in the support store',
      sync: true,
    });
    expect(
      (await mnemos.memories.search({ store: 'support_bot', scope: alice, query: 'support store' }))
        .results,
    ).toHaveLength(1);
    expect((await mnemos.stores.list()).map((store) => store.name)).toEqual(['support_bot']);
    await mnemos.stores.delete('support_bot');
    expect((await errorOf(mnemos.stores.get('support_bot'))).code).toBe('store_not_found');
    expect(
      (
        await errorOf(
          mnemos.memories.search({ store: 'support_bot', scope: alice, query: 'support' }),
        )
      ).code,
    ).toBe('store_not_found');
  });

  it('auto-creates only the configured default store', async () => {
    await remember('default store memory');
    expect((await mnemos.stores.list()).map((store) => store.name)).toEqual(['mnemos']);
    expect(
      (await errorOf(mnemos.memories.add({ store: 'other', scope: alice, text: 'x' }))).code,
    ).toBe('store_not_found');
  });

  it('reads of a fresh home find nothing and create no store', async () => {
    expect(await mnemos.memories.search({ scope: alice, query: 'anything', rerank: true })).toEqual(
      {
        results: [],
        warnings: [
          'rerank was requested but no reranker is configured; results are in fused order',
        ],
      },
    );
    expect(await mnemos.memories.list({ scope: alice })).toEqual({ memories: [], total: 0 });
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await errorOf(mnemos.memories.get({ scope: alice, id }))).code).toBe('not_found');
    expect((await errorOf(mnemos.memories.history({ scope: alice, id }))).code).toBe('not_found');
    expect((await errorOf(mnemos.memories.job({ scope: alice, id }))).code).toBe('not_found');
    expect(await mnemos.memories.jobs({ scope: alice })).toEqual([]);
    expect(await mnemos.memories.jobOutcomes({ jobs: [{ id, scope: alice }] })).toEqual([
      { id, status: 'failed', added: [], merged: [] },
    ]);
    expect(await mnemos.memories.pendingJobCount()).toBe(0);
    expect(await mnemos.stores.list()).toEqual([]);
    // A named store that does not exist is still an error on reads.
    expect(
      (await errorOf(mnemos.memories.search({ store: 'other', scope: alice, query: 'x' }))).code,
    ).toBe('store_not_found');
    await remember('the first write creates the store');
    expect((await mnemos.stores.list()).map((store) => store.name)).toEqual(['mnemos']);
  });

  it('refuses to mix embedders in one store', async () => {
    await remember('written by the 256-dimension embedder');
    await mnemos.close();
    mnemos = await Mnemos.open({ home: home.home, config: { embedder: { dimensions: 128 } } });
    const error = await errorOf(mnemos.memories.add({ scope: alice, text: 'x', sync: true }));
    expect(error.code).toBe('embedder_mismatch');
    expect(error.message).toMatch(/builtin:hash-ngram-v2:256.*builtin:hash-ngram-v2:128/);
    expect((await errorOf(mnemos.memories.search({ scope: alice, query: 'x' }))).code).toBe(
      'embedder_mismatch',
    );
  });
});

describe('jobs', () => {
  it('retries a failing extraction, then fails it with the reason, and retries on request', async () => {
    await mnemos.close();
    let calls = 0;
    let broken = true;
    mnemos = await Mnemos.open({
      home: home.home,
      config: { ingest: { retry_base_ms: 10, max_attempts: 2 } },
      extractor: {
        id: 'flaky',
        doExtract: async (messages) => {
          calls += 1;
          if (broken) throw new Error('model unavailable');
          return messages.map((message, index) => ({
            text: message.content,
            kind: 'fact',
            salience: 0.5,
            sourceMessages: [index],
          }));
        },
      },
    });
    const job = await mnemos.memories.add({
      scope: alice,
      messages: [{ role: 'user', content: 'I play the cello' }],
      sync: true,
    });
    expect(job.status).toBe('failed');
    expect(job.error).toBe('model unavailable');
    expect(calls).toBe(2);
    const failed = await mnemos.memories.jobs({ scope: alice, states: ['failed'] });
    expect(failed[0]?.input.messages?.[0]?.content).toBe('I play the cello');
    broken = false;
    expect(await mnemos.memories.retryJobs({ scope: alice })).toBe(1);
    await mnemos.drain();
    expect((await mnemos.memories.job({ scope: alice, id: job.id })).status).toBe('succeeded');
    expect((await mnemos.memories.search({ scope: alice, query: 'cello' })).results).toHaveLength(
      1,
    );
  });
});

describe('several processes on one home', () => {
  it('sees memories written through another instance', async () => {
    const other = await Mnemos.open({ home: home.home });
    try {
      await remember('Seen across instances');
      const { results } = await other.memories.search({ scope: alice, query: 'instances' });
      expect(results).toHaveLength(1);
      const id = results[0]!.memory.id;
      await mnemos.memories.delete({ scope: alice, id });
      expect((await other.memories.search({ scope: alice, query: 'instances' })).results).toEqual(
        [],
      );
    } finally {
      await other.close();
    }
  });
});
