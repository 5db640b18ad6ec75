import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
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
  t0,
} from './fixtures.js';

// Bob shares alice's app; aliceElsewhere shares her tenant id in another app. Neither may see or
// change anything of hers.
const strangers = [bob, aliceElsewhere];

describe.each(backends)('tenant isolation on $name', (backend) => {
  const { it, context } = conformance(backend, 'tenant isolation');

  it('keeps memories, search, history and deletes inside the tenant (engine)', async () => {
    const mnemos = await context.engine();
    const job = await mnemos.memories.add({
      scope: alice,
      text: '爱丽丝的秘密：护照号码 P123',
      sync: true,
    });
    const id = job.memoryIds[0]!;
    for (const stranger of strangers) {
      expect(await codeOf(mnemos.memories.get({ scope: stranger, id }))).toBe('not_found');
      expect(await mnemos.memories.list({ scope: stranger, includeDeleted: true })).toEqual({
        memories: [],
        total: 0,
      });
      expect(
        (await mnemos.memories.search({ scope: stranger, query: '护照号码' })).results,
      ).toEqual([]);
      expect(
        (await mnemos.memories.search({ scope: stranger, query: 'P123', includeInvalidated: true }))
          .results,
      ).toEqual([]);
      expect(await codeOf(mnemos.memories.history({ scope: stranger, id }))).toBe('not_found');
      expect(
        await codeOf(mnemos.memories.update({ scope: stranger, id }, { text: 'changed' })),
      ).toBe('not_found');
      expect(await codeOf(mnemos.memories.delete({ scope: stranger, id }))).toBe('not_found');
      expect(await codeOf(mnemos.memories.delete({ scope: stranger, id, purge: true }))).toBe(
        'not_found',
      );
      expect(await mnemos.memories.deleteByScope({ scope: stranger })).toBe(0);
      expect(await codeOf(mnemos.memories.job({ scope: stranger, id: job.id }))).toBe('not_found');
      expect(await mnemos.memories.jobs({ scope: stranger })).toEqual([]);
    }
    const memory = await mnemos.memories.get({ scope: alice, id });
    expect(memory).toMatchObject({ text: '爱丽丝的秘密：护照号码 P123', deletedAt: null });
    expect(await mnemos.memories.history({ scope: alice, id })).toHaveLength(1);
    expect(
      (await mnemos.memories.search({ scope: alice, query: '护照号码' })).results[0]?.memory.id,
    ).toBe(id);
  });

  it('keeps index lookups, access counts and vector changes inside the tenant (spec)', async () => {
    const { storage } = context;
    const [memory] = await seed(storage, [newMemory(scopeOf(alice), 'Alice secret kayak')]);
    const [invalid] = await seed(storage, [newMemory(scopeOf(alice), 'Alice old kayak')]);
    await storage.memories.apply(
      'mnemos',
      alice,
      [
        {
          type: 'update',
          id: invalid!.id,
          reason: 'contradicted',
          patch: { validTo: t0 + 5, tokens: 'alice old kayak' },
        },
      ],
      t0 + 5,
    );
    const [row] = await storage.memories.get('mnemos', alice, [memory!.id]);
    for (const stranger of strangers) {
      expect(
        await storage.memories.get('mnemos', stranger, [memory!.id], { includeDeleted: true }),
      ).toEqual([]);
      expect(await storage.memories.getByKeys('mnemos', stranger, [row!.key])).toEqual([]);
      expect(
        await storage.search.text('mnemos', everything(stranger), ['kayak'], { limit: 10 }),
      ).toEqual([]);
      expect(
        await storage.search.text('mnemos', everything(stranger), ['kayak'], {
          limit: 10,
          invalidated: true,
        }),
      ).toEqual([]);
      expect(
        await storage.search.invalidatedVectors('mnemos', everything(stranger), { limit: 10 }),
      ).toEqual([]);
      expect(await storage.search.matchingKeys('mnemos', everything(stranger), {})).toEqual(
        new Set(),
      );
      expect(
        await storage.search.vectorChanges('mnemos', stranger, { afterSeq: 0, limit: 10 }),
      ).toEqual([]);
      expect(await storage.search.latestSeq('mnemos', stranger)).toBe(0);
      expect(
        await storage.memories.findByHash('mnemos', scopeOf(stranger), [memory!.hash]),
      ).toEqual(new Map());
      if (storage.capabilities.nativeVectorSearch) {
        const query = embedder.embedOne('Alice secret kayak');
        expect(
          await storage.search.vectors('mnemos', everything(stranger), query, { limit: 10 }),
        ).toEqual([]);
      }
      await storage.memories.recordAccess('mnemos', stranger, new Map([[row!.key, 5]]), t0 + 10);
      expect(
        await storage.memories.delete('mnemos', stranger, memory!.id, {
          reason: 'api',
          now: t0 + 10,
        }),
      ).toBe(false);
      expect(await storage.memories.purge('mnemos', stranger, memory!.id)).toBe(false);
      expect(await storage.memories.deleteByScope('mnemos', everything(stranger), t0 + 10)).toBe(0);
      await expect(
        storage.memories.apply(
          'mnemos',
          stranger,
          [{ type: 'update', id: memory!.id, reason: 'api', patch: { text: 'hijacked' } }],
          t0 + 10,
        ),
      ).rejects.toBeTruthy();
    }
    const [after] = await storage.memories.get('mnemos', alice, [memory!.id]);
    expect(after).toEqual(row);
  });

  it('keeps jobs inside the tenant', async () => {
    const { storage } = context;
    await seed(storage, []);
    const id = randomUUID();
    await storage.jobs.enqueue(
      'mnemos',
      [{ id, scope: scopeOf(alice), input: { text: 'x', metadata: {} } }],
      t0,
    );
    await storage.jobs.claim({
      worker: 'worker',
      limit: 1,
      leaseMs: 60_000,
      now: t0 + 1,
      isOwnerAlive: () => true,
    });
    await storage.jobs.fail(
      id,
      { attempt: 1, owner: 'worker' },
      { error: 'boom', retryAt: null, now: t0 + 1 },
    );
    expect(await storage.jobs.get('mnemos', alice, id)).toMatchObject({ state: 'failed' });
    for (const stranger of strangers) {
      expect(await storage.jobs.get('mnemos', stranger, id)).toBeNull();
      expect(await storage.jobs.list('mnemos', stranger, [], { limit: 10, offset: 0 })).toEqual([]);
      expect(await storage.jobs.retry('mnemos', stranger, 'all-failed', t0 + 2)).toBe(0);
      expect(await storage.jobs.retry('mnemos', stranger, [id], t0 + 2)).toBe(0);
    }
    expect((await storage.jobs.get('mnemos', alice, id))!.state).toBe('failed');
    expect(await storage.jobs.list('mnemos', null, [], { limit: 10, offset: 0 })).toHaveLength(1);
  });

  it('keeps sessions and messages inside the tenant', async () => {
    const mnemos = await context.engine();
    const session = await mnemos.sessions.create(alice, { id: 'shared-id', title: 'Alice only' });
    await mnemos.sessions.append(alice, session.id, [
      { role: 'user', content: '我的银行卡密码是多少' },
    ]);
    for (const stranger of strangers) {
      expect(await codeOf(mnemos.sessions.get(stranger, session.id))).toBe('not_found');
      expect(await mnemos.sessions.list(stranger)).toEqual([]);
      expect(await codeOf(mnemos.sessions.messages(stranger, session.id))).toBe('not_found');
      expect(await mnemos.sessions.search(stranger, '银行卡密码')).toEqual([]);
      expect(await codeOf(mnemos.sessions.update(stranger, session.id, { title: 'x' }))).toBe(
        'not_found',
      );
      expect(
        await codeOf(
          mnemos.sessions.append(stranger, session.id, [{ role: 'user', content: 'x' }]),
        ),
      ).toBe('not_found');
      expect(await codeOf(mnemos.sessions.delete(stranger, session.id))).toBe('not_found');
    }
    // The same session id is free in another tenant, and stays apart.
    await mnemos.sessions.create(bob, { id: 'shared-id', title: 'Bob' });
    expect((await mnemos.sessions.get(alice, 'shared-id')).title).toBe('Alice only');
    expect((await mnemos.sessions.get(bob, 'shared-id')).messageCount).toBe(0);
    expect(await mnemos.sessions.search(alice, '银行卡密码')).toHaveLength(1);
  });

  it('keeps the profile, keys and audit inside the tenant', async () => {
    const mnemos = await context.engine();
    await mnemos.profile.set(alice, 'language', '中文');
    const { record } = await mnemos.keys.create({ ...alice, name: 'alice key' });
    await mnemos.keys.audit({
      ...alice,
      keyId: record.id,
      method: 'POST',
      path: '/v1/memories',
      status: 201,
      store: 'mnemos',
    });
    for (const stranger of strangers) {
      expect(await mnemos.profile.get(stranger)).toEqual([]);
      expect(await mnemos.profile.history(stranger)).toEqual([]);
      expect(await mnemos.profile.unset(stranger, 'language')).toBe(false);
      expect(await mnemos.keys.list(stranger)).toEqual([]);
      expect(await mnemos.keys.requests(stranger)).toEqual([]);
    }
    await mnemos.profile.set(bob, 'language', 'English');
    expect(await mnemos.profile.asRecord(alice)).toEqual({ language: '中文' });
    expect(await mnemos.profile.history(alice)).toHaveLength(1);
    expect((await mnemos.keys.list(alice)).map((key) => key.id)).toEqual([record.id]);
    expect(await mnemos.keys.requests(alice)).toHaveLength(1);
  });
});
