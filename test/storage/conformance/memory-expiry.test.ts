import { describe, expect } from 'vitest';
import type { TenantKey } from '../../../src/core/scope.js';
import type { ExpireCriteria, Storage } from '../../../src/spec/storage.js';
import { queryTokens } from '../../../src/text/tokenizer.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import {
  alice,
  aliceElsewhere,
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

const day = 86_400_000;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
/** The instant every expiry runs at: 120 days after the memories were written. */
const now = t0 + 120 * day;

/** The configured defaults: older than 90 days, kept when recalled 3 times or within 30 days, or a profile. */
function criteria(changes: Partial<ExpireCriteria> = {}): ExpireCriteria {
  return {
    updatedBefore: now - 90 * day,
    keepAccessCount: 3,
    keepAccessedSince: now - 30 * day,
    keepKinds: ['profile', 'preference'],
    action: 'delete',
    dryRun: false,
    ...changes,
  };
}

/** The row key of a memory. */
async function keyOf(storage: Storage, tenant: TenantKey, id: string): Promise<number> {
  const [row] = await storage.memories.get('mnemos', tenant, [id], { includeDeleted: true });
  return row!.key;
}

async function liveIds(storage: Storage, tenant: TenantKey, store = 'mnemos'): Promise<string[]> {
  const rows = await storage.memories.list(store, everything(tenant), { limit: 100, offset: 0 });
  return sorted(rows.map((row) => row.id));
}

describe.each(backends)('memory expiry on $name', (backend) => {
  const { it, context } = conformance(backend, 'memory expiry');

  it('expires old unused memories and keeps the recalled, the recent, the young and kept kinds', async () => {
    const { storage } = context;
    const [unused, often, lately, profile, preference] = await seed(storage, [
      newMemory(scopeOf(alice), 'The user once mentioned a dentist appointment'),
      newMemory(scopeOf(alice), 'The user lives in Hangzhou'),
      newMemory(scopeOf(alice), '用户每天早上喝黑咖啡'),
      newMemory(scopeOf(alice), 'The user is called Li Wei', { kind: 'profile' }),
      newMemory(scopeOf(alice), 'The user prefers short answers', { kind: 'preference' }),
    ]);
    const [young] = await seed(storage, [newMemory(scopeOf(alice), 'The user bought a bicycle')], {
      at: now - 10 * day,
    });
    await storage.memories.recordAccess(
      'mnemos',
      alice,
      new Map([[await keyOf(storage, alice, often!.id), 3]]),
      t0 + day,
    );
    await storage.memories.recordAccess(
      'mnemos',
      alice,
      new Map([[await keyOf(storage, alice, lately!.id), 1]]),
      now - 5 * day,
    );
    const everyone = sorted([
      unused!.id,
      often!.id,
      lately!.id,
      profile!.id,
      preference!.id,
      young!.id,
    ]);

    expect(await storage.memories.expire('mnemos', alice, criteria({ dryRun: true }), now)).toEqual(
      {
        matched: 1,
        removed: 0,
      },
    );
    expect(await liveIds(storage, alice)).toEqual(everyone);
    expect(await storage.memories.history('mnemos', alice, unused!.id)).toHaveLength(1);

    expect(await storage.memories.expire('mnemos', alice, criteria(), now)).toEqual({
      matched: 1,
      removed: 1,
    });
    expect(await liveIds(storage, alice)).toEqual(everyone.filter((id) => id !== unused!.id));
    const [gone] = await storage.memories.get('mnemos', alice, [unused!.id], {
      includeDeleted: true,
    });
    expect(gone!.deletedAt).toBe(new Date(now).toISOString());
    const history = await storage.memories.history('mnemos', alice, unused!.id);
    expect(history.map((entry) => [entry.event, entry.reason])).toEqual([
      ['ADD', 'ingest'],
      ['DELETE', 'expired'],
    ]);
    expect(history[1]!.oldText).toBe(unused!.text);
    expect(await storage.memories.expire('mnemos', alice, criteria(), now)).toEqual({
      matched: 0,
      removed: 0,
    });

    // Without the keep rules, the recalled ones and the kinds go too; the young one stays.
    expect(
      await storage.memories.expire(
        'mnemos',
        alice,
        criteria({ keepAccessCount: 0, keepAccessedSince: null, keepKinds: [] }),
        now,
      ),
    ).toEqual({ matched: 4, removed: 4 });
    expect(await liveIds(storage, alice)).toEqual([young!.id]);
  });

  it('reaches only the given tenant, or every tenant of the store when none is given', async () => {
    const { storage } = context;
    await seed(storage, [newMemory(scopeOf(alice), 'Alice keeps bees')]);
    const [bobs] = await seed(storage, [newMemory(scopeOf(bob), 'Bob keeps goats')]);
    const [elsewhere] = await seed(storage, [
      newMemory(scopeOf(aliceElsewhere), 'Alice of another app keeps cats'),
    ]);
    const [otherStore] = await seed(storage, [newMemory(scopeOf(bob), 'Bob keeps a diary')], {
      store: 'journal',
    });

    expect(await storage.memories.expire('mnemos', alice, criteria(), now)).toEqual({
      matched: 1,
      removed: 1,
    });
    expect(await liveIds(storage, alice)).toEqual([]);
    expect(await liveIds(storage, bob)).toEqual([bobs!.id]);
    expect(await liveIds(storage, aliceElsewhere)).toEqual([elsewhere!.id]);

    expect(await storage.memories.expire('mnemos', null, criteria({ dryRun: true }), now)).toEqual({
      matched: 2,
      removed: 0,
    });
    expect(await storage.memories.expire('mnemos', null, criteria(), now)).toEqual({
      matched: 2,
      removed: 2,
    });
    expect(await liveIds(storage, bob)).toEqual([]);
    expect(await liveIds(storage, aliceElsewhere)).toEqual([]);
    expect(await liveIds(storage, bob, 'journal')).toEqual([otherStore!.id]);
    for (const [tenant, id] of [
      [bob, bobs!.id],
      [aliceElsewhere, elsewhere!.id],
    ] as const) {
      const history = await storage.memories.history('mnemos', tenant, id);
      expect(history.at(-1)).toMatchObject({ event: 'DELETE', reason: 'expired' });
    }
  });

  it('works through many memories in small batches', async () => {
    const { storage } = context;
    const tenants = [alice, bob, aliceElsewhere];
    const memories = Array.from({ length: 13 }, (_, index) =>
      newMemory(scopeOf(tenants[index % 3]!), `Old note number ${index}`),
    );
    await seed(storage, memories);
    expect(await storage.memories.expire('mnemos', null, criteria({ batchSize: 2 }), now)).toEqual({
      matched: 13,
      removed: 13,
    });
    for (const tenant of tenants) expect(await liveIds(storage, tenant)).toEqual([]);
  });

  it('takes expired memories out of full-text and vector search', async () => {
    const { storage } = context;
    const [old] = await seed(storage, [
      newMemory(scopeOf(alice), 'The user enjoys swimming in the lake'),
    ]);
    const [kept] = await seed(
      storage,
      [newMemory(scopeOf(alice), 'The user enjoys swimming in the sea')],
      { at: now - day },
    );
    const key = await keyOf(storage, alice, old!.id);
    const tokens = queryTokens('swimming');
    const textKeys = async () =>
      (await storage.search.text('mnemos', everything(alice), tokens, { limit: 10 })).map(
        (hit) => hit.key,
      );
    expect(await textKeys()).toContain(key);
    const seqBefore = await storage.search.latestSeq('mnemos', alice);

    await storage.memories.expire('mnemos', alice, criteria(), now);

    expect(await textKeys()).toEqual([await keyOf(storage, alice, kept!.id)]);
    // The vector feed drops it: an in-process index sees a change without a vector.
    const changes = await storage.search.vectorChanges('mnemos', alice, {
      afterSeq: seqBefore,
      limit: 10,
    });
    expect(changes.map((change) => [change.key, change.vector])).toEqual([[key, null]]);
    if (storage.capabilities.nativeVectorSearch) {
      const hits = await storage.search.vectors(
        'mnemos',
        everything(alice),
        embedder.embedOne('swimming in a lake'),
        { limit: 10 },
      );
      expect(hits.map((hit) => hit.key)).not.toContain(key);
    }
  });

  it('purges expired memories with their history when asked', async () => {
    const { storage } = context;
    const [old, young] = await seed(storage, [
      newMemory(scopeOf(alice), 'The user enjoys swimming in the lake'),
      newMemory(scopeOf(bob), 'Bob enjoys swimming too'),
    ]);
    expect(
      await storage.memories.expire('mnemos', alice, criteria({ action: 'purge' }), now),
    ).toEqual({ matched: 1, removed: 1 });
    expect(
      await storage.memories.get('mnemos', alice, [old!.id], { includeDeleted: true }),
    ).toEqual([]);
    expect(await storage.memories.history('mnemos', alice, old!.id)).toEqual([]);
    expect(
      await storage.search.text('mnemos', everything(alice), queryTokens('swimming'), {
        limit: 10,
      }),
    ).toEqual([]);
    expect(await liveIds(storage, bob)).toEqual([young!.id]);
    // A soft-deleted memory is not expired again, neither deleted nor purged.
    await storage.memories.delete('mnemos', bob, young!.id, { reason: 'api', now: t0 + 5 });
    expect(
      await storage.memories.expire('mnemos', null, criteria({ action: 'purge' }), now),
    ).toEqual({ matched: 0, removed: 0 });
    expect(await storage.memories.history('mnemos', bob, young!.id)).toHaveLength(2);
  });

  it('expires through the engine: input checked, every store, gone from hybrid search', async () => {
    const mnemos = await context.engine({ config: { retrieval: { min_vector_similarity: 0.1 } } });
    const add = async (text: string, extra: { store?: string; kind?: 'profile' } = {}) =>
      (await mnemos.memories.add({ scope: alice, text, sync: true, ...extra })).memoryIds[0]!;
    const lake = await add('The user enjoys swimming in the lake');
    const name = await add('The user is called Li Wei and enjoys swimming', { kind: 'profile' });
    await mnemos.stores.create({ name: 'journal' });
    const diary = await add('The user enjoys swimming in the pool', { store: 'journal' });
    // The vector index is warm before the expiry, so its feed must carry the deletions.
    const before = await mnemos.memories.search({ scope: alice, query: 'swimmer' });
    expect(before.results.map((result) => result.memory.id)).toContain(lake);
    await pause();

    for (const bad of [
      { olderThanMs: 0 },
      { olderThanMs: -5 },
      { olderThanMs: 1, action: 'shred' },
      { olderThanMs: 1, keepAccessCount: -1 },
    ]) {
      expect(await codeOf(mnemos.memories.expire(bad as never))).toBe('invalid_input');
    }
    expect(
      await codeOf(
        mnemos.memories.expire({ olderThanMs: 1, tenant: { appId: 'app', tenantId: '' } }),
      ),
    ).toBe('invalid_scope');
    expect(await codeOf(mnemos.memories.expire({ olderThanMs: 1, store: 'nope' }))).toBe(
      'store_not_found',
    );
    expect(await liveIds(context.storage, alice)).toEqual(sorted([lake, name]));

    const options = { olderThanMs: 1, keepAccessCount: 0, keepAccessedWithinMs: 0 };
    const dry = await mnemos.memories.expire({ ...options, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, matched: 2, removed: 0 });
    expect(sorted(dry.stores.map((store) => store.store))).toEqual(['journal', 'mnemos']);
    const done = await mnemos.memories.expire({ ...options, tenant: alice });
    expect(done).toMatchObject({ action: 'delete', dryRun: false, matched: 2, removed: 2 });

    for (const query of ['swimmer', 'swimming lake']) {
      const { results } = await mnemos.memories.search({ scope: alice, query });
      expect(results.map((result) => result.memory.id)).not.toContain(lake);
    }
    const { results } = await mnemos.memories.search({ scope: alice, query: 'swimming' });
    expect(results.map((result) => result.memory.id)).toEqual([name]);
    expect((await mnemos.memories.history({ scope: alice, id: lake })).at(-1)).toMatchObject({
      event: 'DELETE',
      reason: 'expired',
    });
    expect(
      (await mnemos.memories.get({ scope: alice, id: diary, store: 'journal' })).deletedAt,
    ).not.toBeNull();
  });
});
