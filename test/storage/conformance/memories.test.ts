import { describe, expect } from 'vitest';
import { maxSources } from '../../../src/core/memory-record.js';
import type { MemoryFilter } from '../../../src/spec/storage.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import {
  alice,
  bob,
  codeOf,
  embedder,
  everything,
  newMemory,
  scopeOf,
  seed,
  sorted,
  t0,
} from './fixtures.js';

describe.each(backends)('memories through the engine on $name', (backend) => {
  const { it, context } = conformance(backend, 'memories through the engine');

  it('adds, gets, lists, updates, deletes and purges', async () => {
    const mnemos = await context.engine();
    const job = await mnemos.memories.add({
      scope: alice,
      text: '用户偏好简洁的中文回复',
      metadata: { topic: 'style' },
      kind: 'preference',
      sync: true,
    });
    expect(job.status).toBe('succeeded');
    const id = job.memoryIds[0]!;
    const memory = await mnemos.memories.get({ scope: alice, id });
    expect(memory).toMatchObject({
      id,
      store: 'mnemos',
      text: '用户偏好简洁的中文回复',
      kind: 'preference',
      scope: scopeOf(alice),
      metadata: { topic: 'style' },
      source: { jobId: job.id },
      accessCount: 0,
      lastAccessedAt: null,
      validTo: null,
      deletedAt: null,
    });
    expect(memory.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(memory.createdAt)).toBeGreaterThan(0);

    const other = (
      await mnemos.memories.add({ scope: alice, text: 'Lives in Hangzhou', sync: true })
    ).memoryIds[0]!;
    const listed = await mnemos.memories.list({ scope: alice });
    expect(listed.total).toBe(2);
    expect(listed.memories.map((item) => item.id)).toEqual([other, id]);

    const updated = await mnemos.memories.update(
      { scope: alice, id },
      { text: '用户偏好详细的英文回复', salience: 0.9, metadata: { topic: 'tone' } },
    );
    expect(updated).toMatchObject({
      text: '用户偏好详细的英文回复',
      salience: 0.9,
      metadata: { topic: 'tone' },
    });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(memory.updatedAt));

    await mnemos.memories.delete({ scope: alice, id });
    expect((await mnemos.memories.get({ scope: alice, id })).deletedAt).not.toBeNull();
    expect((await mnemos.memories.list({ scope: alice })).memories.map((item) => item.id)).toEqual([
      other,
    ]);
    const withDeleted = await mnemos.memories.list({ scope: alice, includeDeleted: true });
    expect(withDeleted.total).toBe(2);
    expect(await codeOf(mnemos.memories.delete({ scope: alice, id }))).toBe('not_found');
    expect(await codeOf(mnemos.memories.update({ scope: alice, id }, { text: 'x' }))).toBe(
      'not_found',
    );

    await mnemos.memories.delete({ scope: alice, id: other, purge: true });
    expect(await codeOf(mnemos.memories.get({ scope: alice, id: other }))).toBe('not_found');
    expect(await codeOf(mnemos.memories.history({ scope: alice, id: other }))).toBe('not_found');
    expect(await codeOf(mnemos.memories.delete({ scope: alice, id: other, purge: true }))).toBe(
      'not_found',
    );
  });

  it('turns messages into memories with speaker and date', async () => {
    const mnemos = await context.engine();
    const job = await mnemos.memories.add({
      scope: alice,
      messages: [
        { role: 'user', content: '我妹妹叫小美', createdAt: '2026-03-01T10:00:00Z' },
        { role: 'assistant', content: 'Nice to know about your sister' },
      ],
      sync: true,
    });
    expect(job.memoryIds).toHaveLength(2);
    const first = await mnemos.memories.get({ scope: alice, id: job.memoryIds[0]! });
    expect(first.text).toContain('小美');
    expect(first.metadata).toMatchObject({ role: 'user', date: '2026-03-01T10:00:00Z' });
  });

  it('keeps one memory for an exact duplicate in one scope, two across scopes', async () => {
    const mnemos = await context.engine();
    const first = await mnemos.memories.add({
      scope: alice,
      text: 'Allergic to peanuts',
      sync: true,
    });
    const again = await mnemos.memories.add({
      scope: alice,
      text: 'Allergic to peanuts',
      sync: true,
    });
    expect(again.memoryIds).toEqual(first.memoryIds);
    const elsewhere = await mnemos.memories.add({
      scope: { ...alice, agentId: 'doctor' },
      text: 'Allergic to peanuts',
      sync: true,
    });
    expect(elsewhere.memoryIds[0]).not.toBe(first.memoryIds[0]);
    expect((await mnemos.memories.list({ scope: alice })).total).toBe(2);
  });

  it('keeps a fact said in three runs as one memory with three sources, per agent and tenant', async () => {
    const mnemos = await context.engine();
    const ids: string[] = [];
    for (const [runId, text] of [
      ['s1', 'Allergic to peanuts'],
      ['s2', 'allergic to  peanuts'],
      ['s3', 'Allergic to peanuts!'],
    ]) {
      const job = await mnemos.memories.add({ scope: { ...alice, runId }, text, sync: true });
      ids.push(job.memoryIds[0]!);
    }
    expect(new Set(ids).size).toBe(1);
    const memory = await mnemos.memories.get({ scope: alice, id: ids[0]! });
    expect(memory.sources.map((source) => source.runId)).toEqual(['s1', 's2', 's3']);
    const { results } = await mnemos.memories.search({ scope: alice, query: 'peanuts' });
    expect(results.map((result) => result.memory.id)).toEqual([ids[0]]);
    const planner = await mnemos.memories.add({
      scope: { ...alice, agentId: 'planner', runId: 's1' },
      text: 'Allergic to peanuts',
      sync: true,
    });
    const bobs = await mnemos.memories.add({ scope: bob, text: 'Allergic to peanuts', sync: true });
    expect(new Set([ids[0], planner.memoryIds[0], bobs.memoryIds[0]]).size).toBe(3);
    expect(
      (await mnemos.memories.get({ scope: bob, id: bobs.memoryIds[0]! })).sources,
    ).toHaveLength(1);
  });

  it('filters and pages lists by kind and metadata', async () => {
    const mnemos = await context.engine();
    for (const [text, kind, topic] of [
      ['Prefers tea', 'preference', 'drinks'],
      ['Prefers dark mode', 'preference', 'ui'],
      ['Moved to Berlin', 'event', 'life'],
      ['Works at a bank', 'fact', 'work'],
    ] as const) {
      await mnemos.memories.add({ scope: alice, text, kind, metadata: { topic }, sync: true });
    }
    const preferences = await mnemos.memories.list({ scope: alice, kinds: ['preference'] });
    expect(preferences.total).toBe(2);
    expect(preferences.memories.map((memory) => memory.text)).toEqual([
      'Prefers dark mode',
      'Prefers tea',
    ]);
    const ui = await mnemos.memories.list({ scope: alice, metadata: { topic: 'ui' } });
    expect(ui.memories.map((memory) => memory.text)).toEqual(['Prefers dark mode']);
    const page = await mnemos.memories.list({ scope: alice, limit: 2, offset: 1 });
    expect(page.total).toBe(4);
    expect(page.memories.map((memory) => memory.text)).toEqual([
      'Moved to Berlin',
      'Prefers dark mode',
    ]);
  });
});

describe.each(backends)('memories through the spec on $name', (backend) => {
  const { it, context } = conformance(backend, 'memories through the spec');

  it('inserts and reads back every field, by id and by key', async () => {
    const { storage } = context;
    const scope = scopeOf(alice, 'agent', 'run');
    const [memory] = await seed(storage, [
      newMemory(scope, 'Speaks 中文 and English', {
        kind: 'profile',
        metadata: { language: 'zh', 来源: '对话' },
        salience: 0.75,
      }),
    ]);
    const [found] = await storage.memories.get('mnemos', alice, [memory!.id, 'absent']);
    expect(found).toMatchObject({
      id: memory!.id,
      store: 'mnemos',
      text: 'Speaks 中文 and English',
      kind: 'profile',
      salience: 0.75,
      scope,
      metadata: { language: 'zh', 来源: '对话' },
      source: { jobId: 'direct' },
      hash: memory!.hash,
      createdAt: new Date(t0).toISOString(),
      updatedAt: new Date(t0).toISOString(),
      lastAccessedAt: null,
      accessCount: 0,
      validTo: null,
      deletedAt: null,
    });
    expect(Number.isInteger(found!.key)).toBe(true);
    const byKey = await storage.memories.getByKeys('mnemos', alice, [found!.key]);
    expect(byKey).toEqual([found]);
  });

  it('applies a batch of mutations all or nothing', async () => {
    const { storage } = context;
    const [existing] = await seed(storage, [newMemory(scopeOf(alice), 'Existing memory')]);
    const fresh = newMemory(scopeOf(alice), 'Written in a failed batch');
    const failed = storage.memories.apply(
      'mnemos',
      alice,
      [
        { type: 'insert', memory: fresh },
        { type: 'update', id: existing!.id, reason: 'api', patch: { salience: 0.1 } },
        { type: 'update', id: 'absent', reason: 'api', patch: { salience: 0.2 } },
      ],
      t0 + 10,
    );
    expect(await codeOf(failed)).toBe('not_found');
    expect(
      await storage.memories.get('mnemos', alice, [fresh.id], { includeDeleted: true }),
    ).toEqual([]);
    const [unchanged] = await storage.memories.get('mnemos', alice, [existing!.id]);
    expect(unchanged!.salience).toBe(0.5);
    expect(await storage.memories.history('mnemos', alice, existing!.id)).toHaveLength(1);
  });

  it('refuses an insert outside the tenant of the write', async () => {
    const { storage } = context;
    await seed(storage, []);
    const stray = newMemory(scopeOf({ appId: 'app', tenantId: 'bob' }), 'Not alice');
    await expect(
      storage.memories.apply('mnemos', alice, [{ type: 'insert', memory: stray }], t0),
    ).rejects.toBeTruthy();
    expect(
      await storage.memories.count('mnemos', everything({ appId: 'app', tenantId: 'bob' }), {
        includeDeleted: true,
      }),
    ).toBe(0);
    expect(
      await storage.memories.count('mnemos', everything(alice), { includeDeleted: true }),
    ).toBe(0);
  });

  it('filters lists and counts by kind, metadata and creation time', async () => {
    const { storage } = context;
    const scope = scopeOf(alice);
    const [tea, mode, berlin] = await seed(storage, [
      newMemory(scope, 'Prefers tea', {
        kind: 'preference',
        metadata: { topic: 'drinks', lang: 'en' },
      }),
      newMemory(scope, 'Prefers dark mode', {
        kind: 'preference',
        metadata: { topic: 'ui', lang: 'en' },
      }),
      newMemory(scope, 'Moved to Berlin', {
        kind: 'event',
        metadata: { topic: 'life', lang: 'en' },
      }),
    ]);
    const list = async (filter: MemoryFilter) =>
      (
        await storage.memories.list(
          'mnemos',
          everything(alice),
          { limit: 10, offset: 0 },
          { filter },
        )
      ).map((memory) => memory.id);
    expect(await list({})).toEqual([berlin!.id, mode!.id, tea!.id]);
    expect(await list({ kinds: ['preference'] })).toEqual([mode!.id, tea!.id]);
    expect(await list({ kinds: ['event', 'fact'] })).toEqual([berlin!.id]);
    expect(await list({ metadata: { topic: 'ui' } })).toEqual([mode!.id]);
    expect(await list({ metadata: { topic: 'ui', lang: 'zh' } })).toEqual([]);
    expect(await list({ metadata: { lang: 'en' }, kinds: ['preference'] })).toEqual([
      mode!.id,
      tea!.id,
    ]);
    expect(await list({ createdAfter: t0 + 1 })).toEqual([berlin!.id, mode!.id]);
    expect(await list({ createdBefore: t0 + 1 })).toEqual([mode!.id, tea!.id]);
    expect(await list({ createdAfter: t0 + 1, createdBefore: t0 + 1 })).toEqual([mode!.id]);
    expect(
      await storage.memories.count('mnemos', everything(alice), {
        filter: { kinds: ['preference'] },
      }),
    ).toBe(2);
    const page = await storage.memories.list('mnemos', everything(alice), { limit: 1, offset: 2 });
    expect(page.map((memory) => memory.id)).toEqual([tea!.id]);
  });

  it('soft-deletes once, purges for good, and counts deleted only on request', async () => {
    const { storage } = context;
    const [kept, gone] = await seed(storage, [
      newMemory(scopeOf(alice), 'Kept'),
      newMemory(scopeOf(alice), 'Deleted later'),
    ]);
    expect(
      await storage.memories.delete('mnemos', alice, gone!.id, { reason: 'api', now: t0 + 100 }),
    ).toBe(true);
    expect(
      await storage.memories.delete('mnemos', alice, gone!.id, { reason: 'api', now: t0 + 101 }),
    ).toBe(false);
    expect(
      await storage.memories.delete('mnemos', alice, 'absent', { reason: 'api', now: t0 + 101 }),
    ).toBe(false);
    expect(await storage.memories.get('mnemos', alice, [gone!.id])).toEqual([]);
    const [deleted] = await storage.memories.get('mnemos', alice, [gone!.id], {
      includeDeleted: true,
    });
    expect(deleted!.deletedAt).toBe(new Date(t0 + 100).toISOString());
    expect(await storage.memories.count('mnemos', everything(alice))).toBe(1);
    expect(
      await storage.memories.count('mnemos', everything(alice), { includeDeleted: true }),
    ).toBe(2);

    expect(await storage.memories.purge('mnemos', alice, gone!.id)).toBe(true);
    expect(await storage.memories.purge('mnemos', alice, gone!.id)).toBe(false);
    expect(
      await storage.memories.get('mnemos', alice, [gone!.id], { includeDeleted: true }),
    ).toEqual([]);
    expect(await storage.memories.history('mnemos', alice, gone!.id)).toEqual([]);
    expect(
      sorted(
        (
          await storage.memories.list(
            'mnemos',
            everything(alice),
            { limit: 10, offset: 0 },
            { includeDeleted: true },
          )
        ).map((m) => m.id),
      ),
    ).toEqual([kept!.id]);
  });

  it('finds live duplicates by hash in one exact scope only', async () => {
    const { storage } = context;
    const scope = scopeOf(alice, 'a', 'r');
    const [same, deleted, invalidated] = await seed(storage, [
      newMemory(scope, 'Same text'),
      newMemory(scope, 'Deleted text'),
      newMemory(scope, 'Invalidated text'),
      newMemory(scopeOf(alice, 'b', 'r'), 'Other agent text'),
    ]);
    await storage.memories.delete('mnemos', alice, deleted!.id, { reason: 'api', now: t0 + 10 });
    await storage.memories.apply(
      'mnemos',
      alice,
      [
        {
          type: 'update',
          id: invalidated!.id,
          reason: 'contradicted',
          patch: { validTo: t0 + 10 },
        },
      ],
      t0 + 10,
    );
    const found = await storage.memories.findByHash('mnemos', scope, [
      same!.hash,
      deleted!.hash,
      invalidated!.hash,
      newMemory(scope, 'Other agent text').hash,
      'f'.repeat(64),
    ]);
    expect([...found.entries()]).toEqual([[same!.hash, same!.id]]);
    expect(await storage.memories.findByHash('mnemos', scope, [])).toEqual(new Map());
  });

  it('finds duplicates by hash across the runs of one agent, its own run first', async () => {
    const { storage } = context;
    const [older, own] = await seed(storage, [
      newMemory(scopeOf(alice, 'a', 'r1'), 'Said in two runs'),
      newMemory(scopeOf(alice, 'a', 'r2'), 'Said in two runs'),
      newMemory(scopeOf(alice, 'a', 'r1'), 'Said in run one'),
      newMemory(scopeOf(alice, 'b', 'r1'), 'Said by another agent'),
    ]);
    const hashes = ['Said in two runs', 'Said in run one', 'Said by another agent'].map(
      (text) => newMemory(scopeOf(alice), text).hash,
    );
    const inRun2 = await storage.memories.findByHash('mnemos', scopeOf(alice, 'a', 'r2'), hashes);
    expect(inRun2.get(hashes[0]!)).toBe(own!.id);
    expect(inRun2.has(hashes[1]!)).toBe(true);
    expect(inRun2.has(hashes[2]!)).toBe(false);
    const inRun3 = await storage.memories.findByHash('mnemos', scopeOf(alice, 'a', 'r3'), hashes);
    expect(inRun3.get(hashes[0]!)).toBe(older!.id);
    expect(await storage.memories.findByHash('mnemos', scopeOf(bob, 'a', 'r1'), hashes)).toEqual(
      new Map(),
    );
  });

  it('adds sources to a memory without history, keeping the first and the latest', async () => {
    const { storage } = context;
    const merged = [{ jobId: 'batch-twin', runId: 'r0', text: 'said twice' }];
    const [memory] = await seed(storage, [
      { ...newMemory(scopeOf(alice), 'Has many sources'), mergedSources: merged },
    ]);
    const [inserted] = await storage.memories.get('mnemos', alice, [memory!.id]);
    expect(inserted!.sources).toEqual([{ jobId: 'direct' }, ...merged]);
    for (let index = 1; index <= maxSources + 3; index++) {
      await storage.memories.apply(
        'mnemos',
        alice,
        [
          {
            type: 'update',
            id: memory!.id,
            reason: 'duplicate',
            patch: { addSource: { jobId: `job-${index}`, metadata: { turn: String(index) } } },
          },
        ],
        t0 + index,
      );
    }
    const [found] = await storage.memories.get('mnemos', alice, [memory!.id]);
    expect(found!.source).toEqual({ jobId: 'direct' });
    expect(found!.sources).toHaveLength(maxSources);
    expect(found!.sources[0]).toEqual({ jobId: 'direct' });
    expect(found!.sources.at(-1)).toEqual({
      jobId: `job-${maxSources + 3}`,
      metadata: { turn: String(maxSources + 3) },
    });
    // 36 later sources, 31 kept: the batch twin and jobs 1 to 4 gave way.
    expect(found!.sources[1]).toEqual({ jobId: 'job-5', metadata: { turn: '5' } });
    expect(found!.text).toBe('Has many sources');
    expect(found!.updatedAt).toBe(new Date(t0 + maxSources + 3).toISOString());
    expect(
      (await storage.memories.history('mnemos', alice, memory!.id)).map((entry) => entry.event),
    ).toEqual(['ADD']);
    const [bobs] = await seed(storage, [newMemory(scopeOf(bob), 'Has many sources')]);
    const refused = storage.memories.apply(
      'mnemos',
      alice,
      [{ type: 'update', id: bobs!.id, reason: 'duplicate', patch: { addSource: { jobId: 'x' } } }],
      t0,
    );
    expect(await codeOf(refused)).toBe('not_found');
  });

  it('reports vector changes in sequence, dropping deleted and invalidated vectors', async () => {
    const { storage } = context;
    await seed(storage, []);
    expect(await storage.search.latestSeq('mnemos', alice)).toBe(0);
    const [first, second, third] = await seed(storage, [
      newMemory(scopeOf(alice, 'a', 'r1'), 'First vector'),
      newMemory(scopeOf(alice, 'b', 'r2'), 'Second vector'),
      newMemory(scopeOf(alice), 'Third vector'),
    ]);
    const initial = await storage.search.vectorChanges('mnemos', alice, {
      afterSeq: 0,
      limit: 100,
    });
    expect(initial).toHaveLength(3);
    const seqs = initial.map((change) => change.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(3);
    expect(initial[0]).toMatchObject({ agentId: 'a', runId: 'r1' });
    expect([...initial[0]!.vector!]).toEqual(
      [...embedder.embedOne(first!.text)].map((value) => Math.fround(value)),
    );
    expect(await storage.search.latestSeq('mnemos', alice)).toBe(seqs[2]);
    expect(
      await storage.search.vectorChanges('mnemos', alice, { afterSeq: seqs[0]!, limit: 1 }),
    ).toHaveLength(1);

    await storage.memories.delete('mnemos', alice, second!.id, { reason: 'api', now: t0 + 10 });
    await storage.memories.apply(
      'mnemos',
      alice,
      [{ type: 'update', id: third!.id, reason: 'contradicted', patch: { validTo: t0 + 10 } }],
      t0 + 10,
    );
    const later = await storage.search.vectorChanges('mnemos', alice, {
      afterSeq: seqs[2]!,
      limit: 100,
    });
    expect(later.map((change) => [change.key, change.vector])).toEqual([
      [initial[1]!.key, null],
      [initial[2]!.key, null],
    ]);
    expect(later[1]!.seq).toBeGreaterThan(later[0]!.seq);
    expect(await storage.search.latestSeq('mnemos', alice)).toBe(later[1]!.seq);
  });

  it('adds access counts and times without touching history', async () => {
    const { storage } = context;
    const [memory] = await seed(storage, [newMemory(scopeOf(alice), 'Often recalled')]);
    const [row] = await storage.memories.get('mnemos', alice, [memory!.id]);
    await storage.memories.recordAccess('mnemos', alice, new Map([[row!.key, 2]]), t0 + 500);
    await storage.memories.recordAccess('mnemos', alice, new Map([[row!.key, 3]]), t0 + 900);
    const [after] = await storage.memories.get('mnemos', alice, [memory!.id]);
    expect(after).toMatchObject({
      accessCount: 5,
      lastAccessedAt: new Date(t0 + 900).toISOString(),
    });
    expect(await storage.memories.history('mnemos', alice, memory!.id)).toHaveLength(1);
  });

  it('returns the keys of live memories matching a pattern and filter', async () => {
    const { storage } = context;
    const [a, b, c] = await seed(storage, [
      newMemory(scopeOf(alice, 'a'), 'One', { kind: 'fact' }),
      newMemory(scopeOf(alice, 'b'), 'Two', { kind: 'note' }),
      newMemory(scopeOf(alice, 'a'), 'Three', { kind: 'note' }),
    ]);
    await storage.memories.delete('mnemos', alice, c!.id, { reason: 'api', now: t0 + 10 });
    const rows = await storage.memories.get('mnemos', alice, [a!.id, b!.id]);
    const keyOf = (id: string) => rows.find((row) => row.id === id)!.key;
    const all = await storage.search.matchingKeys('mnemos', everything(alice), {});
    expect([...all].sort()).toEqual([keyOf(a!.id), keyOf(b!.id)].sort());
    expect([
      ...(await storage.search.matchingKeys('mnemos', { ...alice, agentId: 'a', runId: '*' }, {})),
    ]).toEqual([keyOf(a!.id)]);
    expect([
      ...(await storage.search.matchingKeys('mnemos', everything(alice), { kinds: ['note'] })),
    ]).toEqual([keyOf(b!.id)]);
  });
});
