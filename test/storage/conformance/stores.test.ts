import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import { ReembedService } from '../../../src/memory/stores/reembed-service.js';
import { BuiltinEmbedder } from '../../../src/models/embed/builtin-embedder.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import {
  alice,
  codeOf,
  everything,
  newMemory,
  scopeOf,
  seed,
  storeRecord,
  t0,
} from './fixtures.js';

describe.each(backends)('stores on $name', (backend) => {
  const { it, context } = conformance(backend, 'stores');

  it('creates, reads, lists, updates and deletes stores', async () => {
    const { storage } = context;
    expect(await storage.stores.list()).toEqual([]);
    const created = await storage.stores.create(storeRecord('notes', 'Team notes'));
    expect(created).toEqual(storeRecord('notes', 'Team notes'));
    await storage.stores.create(storeRecord('archive'));
    expect((await storage.stores.list()).map((store) => store.name)).toEqual(['archive', 'notes']);
    expect(await storage.stores.get('notes')).toEqual(created);
    expect(await storage.stores.get('missing')).toBeNull();

    const later = t0 + 60_000;
    const updated = await storage.stores.update('notes', 'Renamed 笔记', later);
    expect(updated).toMatchObject({
      name: 'notes',
      description: 'Renamed 笔记',
      createdAt: created.createdAt,
      updatedAt: new Date(later).toISOString(),
    });
    expect(await storage.stores.update('missing', 'x', later)).toBeNull();

    expect(await storage.stores.delete('notes')).toBe(true);
    expect(await storage.stores.delete('notes')).toBe(false);
    expect((await storage.stores.list()).map((store) => store.name)).toEqual(['archive']);
  });

  it('refuses a second store with the same name', async () => {
    await context.storage.stores.create(storeRecord('notes'));
    expect(await codeOf(context.storage.stores.create(storeRecord('notes')))).toBe(
      'already_exists',
    );
  });

  it('deletes a store with its memories, history and jobs, leaving other stores alone', async () => {
    const { storage } = context;
    const scope = scopeOf(alice);
    const [gone] = await seed(storage, [newMemory(scope, 'kept only in notes')], {
      store: 'notes',
    });
    const [kept] = await seed(storage, [newMemory(scope, 'kept in archive')], { store: 'archive' });
    const notesJob = randomUUID();
    const archiveJob = randomUUID();
    await storage.jobs.enqueue(
      'notes',
      [{ id: notesJob, scope, input: { text: 'x', metadata: {} } }],
      t0,
    );
    await storage.jobs.enqueue(
      'archive',
      [{ id: archiveJob, scope, input: { text: 'y', metadata: {} } }],
      t0,
    );

    expect(await storage.stores.delete('notes')).toBe(true);
    expect(
      await storage.memories.get('notes', alice, [gone!.id], { includeDeleted: true }),
    ).toEqual([]);
    expect(await storage.memories.history('notes', alice, gone!.id)).toEqual([]);
    expect(await storage.jobs.get('notes', alice, notesJob)).toBeNull();
    expect(await storage.memories.count('notes', everything(alice), { includeDeleted: true })).toBe(
      0,
    );

    expect(await storage.memories.get('archive', alice, [kept!.id])).toHaveLength(1);
    expect(await storage.jobs.get('archive', alice, archiveJob)).not.toBeNull();
    expect(await storage.jobs.pendingCount(null)).toBe(1);
  });

  it('creates the default store on first use through the engine', async () => {
    const mnemos = await context.engine();
    await mnemos.memories.add({ scope: alice, text: 'First memory', sync: true });
    const store = await mnemos.stores.get('mnemos');
    expect(store).toMatchObject({ name: 'mnemos', embedderId: mnemos.embedder.id });
    await mnemos.stores.create({ name: 'second', description: 'another' });
    expect((await mnemos.stores.list()).map((item) => item.name)).toEqual(['mnemos', 'second']);
    await mnemos.stores.delete('second');
    expect(await codeOf(mnemos.stores.get('second'))).toBe('store_not_found');
  });

  it('re-embeds a store at another dimension, resumably, and searches it after', async () => {
    const { storage } = context;
    const scope = scopeOf(alice);
    const [lake, city, gone] = await seed(storage, [
      newMemory(scope, 'The user enjoys swimming in the lake'),
      newMemory(scope, '用户住在杭州'),
      newMemory(scope, 'Deleted but re-embedded too'),
    ]);
    await storage.memories.delete('mnemos', alice, gone!.id, { reason: 'api', now: t0 + 1 });
    const smaller = new BuiltinEmbedder({ dimensions: 64 });
    const target = { embedderId: smaller.id, dimensions: smaller.dimensions };

    const begun = await storage.reembed.begin('mnemos', target, t0 + 10);
    expect(begun).toMatchObject({ resumed: false, staged: 0, total: 3 });
    const pending = await storage.reembed.pending('mnemos', 0, 2);
    expect(pending).toHaveLength(2);
    await storage.reembed.stage(
      'mnemos',
      begun.run.id,
      pending.map((row) => ({ ...row, vector: smaller.embedOne(row.text) })),
    );
    // Interrupted here: a new run for the same target resumes with the staged vectors.
    const resumed = await storage.reembed.begin('mnemos', target, t0 + 20);
    expect(resumed).toMatchObject({ resumed: true, staged: 2, total: 3 });
    expect(resumed.run.id).toBe(begun.run.id);
    expect(await storage.reembed.finish('mnemos', resumed.run.id, t0 + 30)).toEqual({
      swapped: 0,
      missing: 1,
    });

    const result = await new ReembedService(storage).run('mnemos', smaller);
    expect(result).toMatchObject({
      changed: true,
      reembedded: 1,
      resumedFrom: 2,
      total: 3,
      dimensions: 64,
    });
    expect(await storage.stores.get('mnemos')).toMatchObject({
      embedderId: smaller.id,
      dimensions: 64,
    });
    const changes = await storage.search.vectorChanges('mnemos', alice, { afterSeq: 0, limit: 10 });
    const live = changes.filter((change) => change.vector !== null);
    expect(live).toHaveLength(2);
    for (const change of live) expect(change.vector).toHaveLength(64);

    const mnemos = await context.engine({ embedder: smaller });
    const { results } = await mnemos.memories.search({ scope: alice, query: 'swimming lake' });
    expect(results[0]?.memory.id).toBe(lake!.id);
    expect(results[0]?.matched).toContain('vector');
    expect(
      (await mnemos.memories.search({ scope: alice, query: '杭州' })).results[0]?.memory.id,
    ).toBe(city!.id);
    await mnemos.memories.add({ scope: alice, text: 'A new memory at 64 dimensions', sync: true });
  });

  it('refuses staging for a replaced re-embedding run', async () => {
    const { storage } = context;
    await seed(storage, [newMemory(scopeOf(alice), 'Some memory')]);
    const first = await storage.reembed.begin('mnemos', { embedderId: 'a', dimensions: 8 }, t0);
    const second = await storage.reembed.begin(
      'mnemos',
      { embedderId: 'b', dimensions: 16 },
      t0 + 1,
    );
    expect(second.resumed).toBe(false);
    const [row] = await storage.reembed.pending('mnemos', 0, 10);
    await expect(
      storage.reembed.stage('mnemos', first.run.id, [{ ...row!, vector: new Float32Array(8) }]),
    ).rejects.toBeTruthy();
    expect(await storage.stores.get('mnemos')).toMatchObject({
      embedderId: storeRecord().embedderId,
    });
  });
});
