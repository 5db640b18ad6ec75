import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { ApiKeyRecord } from '../../../src/core/key-record.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, bob, codeOf, newMemory, scopeOf, seed, t0 } from './fixtures.js';

describe.each(backends)('profile on $name', (backend) => {
  const { it, context } = conformance(backend, 'profile');

  it('sets, replaces and unsets keys, recording every change', async () => {
    const mnemos = await context.engine();
    // Only canonical keys are taken: a renamed key could overwrite another one.
    for (const key of ['Tech Stack', 'Tech_Stack', 'tech-stack'])
      expect(await codeOf(mnemos.profile.set(alice, key, 'x'))).toBe('invalid_input');
    expect(await mnemos.profile.get(alice)).toEqual([]);
    const set = await mnemos.profile.set(alice, 'tech_stack', 'TypeScript, Postgres');
    expect(set).toMatchObject({
      key: 'tech_stack',
      value: 'TypeScript, Postgres',
      source: 'user',
      memoryId: null,
    });
    await mnemos.profile.set(alice, 'language', '中文');
    await mnemos.profile.set(alice, 'language', '中文');
    await mnemos.profile.set(alice, 'language', 'English');
    expect(await mnemos.profile.asRecord(alice)).toEqual({
      language: 'English',
      tech_stack: 'TypeScript, Postgres',
    });
    expect((await mnemos.profile.get(alice)).map((entry) => entry.key)).toEqual([
      'language',
      'tech_stack',
    ]);
    expect(await mnemos.profile.unset(alice, 'language')).toBe(true);
    expect(await mnemos.profile.unset(alice, 'language')).toBe(false);
    expect(await mnemos.profile.asRecord(alice)).toEqual({ tech_stack: 'TypeScript, Postgres' });

    const history = await mnemos.profile.history(alice);
    expect(history.map(({ key, oldValue, newValue }) => [key, oldValue, newValue])).toEqual([
      ['language', 'English', null],
      ['language', '中文', 'English'],
      ['language', null, '中文'],
      ['tech_stack', null, 'TypeScript, Postgres'],
    ]);
    expect(
      (await mnemos.profile.history(alice, { key: 'tech_stack' })).map((entry) => entry.newValue),
    ).toEqual(['TypeScript, Postgres']);
    expect(
      (await mnemos.profile.history(alice, { limit: 1, offset: 1 })).map((entry) => entry.newValue),
    ).toEqual(['English']);
  });

  it('applies a batch of changes in order through the spec, skipping no-ops', async () => {
    const { storage } = context;
    await seed(storage, []);
    const [memory] = await seed(storage, [newMemory(scopeOf(alice), 'Name is Alice')]);
    const applied = await storage.profiles.change(
      alice,
      [
        { key: 'name', value: 'Alice', source: 'extracted', memoryId: memory!.id },
        { key: 'name', value: 'Alice', source: 'extracted', memoryId: memory!.id },
        { key: 'city', value: '杭州', source: 'user' },
        { key: 'city', value: '上海', source: 'user' },
        { key: 'pet', value: null, source: 'user' },
      ],
      t0 + 50,
    );
    expect(applied).toBe(3);
    expect(await storage.profiles.get(alice)).toEqual([
      {
        key: 'city',
        value: '上海',
        source: 'user',
        memoryId: null,
        updatedAt: new Date(t0 + 50).toISOString(),
      },
      {
        key: 'name',
        value: 'Alice',
        source: 'extracted',
        memoryId: memory!.id,
        updatedAt: new Date(t0 + 50).toISOString(),
      },
    ]);
    const history = await storage.profiles.history(alice, null, { limit: 10, offset: 0 });
    expect(history).toEqual([
      {
        key: 'city',
        oldValue: '杭州',
        newValue: '上海',
        source: 'user',
        memoryId: null,
        createdAt: new Date(t0 + 50).toISOString(),
      },
      {
        key: 'city',
        oldValue: null,
        newValue: '杭州',
        source: 'user',
        memoryId: null,
        createdAt: new Date(t0 + 50).toISOString(),
      },
      {
        key: 'name',
        oldValue: null,
        newValue: 'Alice',
        source: 'extracted',
        memoryId: memory!.id,
        createdAt: new Date(t0 + 50).toISOString(),
      },
    ]);
    expect(
      await storage.profiles.change(bob, [{ key: 'city', value: null, source: 'user' }], t0),
    ).toBe(0);
  });
});

describe.each(backends)('keys and audit on $name', (backend) => {
  const { it, context } = conformance(backend, 'keys and audit');

  it('stores keys as hashes, finds live ones, marks use and revokes', async () => {
    const mnemos = await context.engine();
    const { key, record } = await mnemos.keys.create({ ...alice, name: 'ci' });
    const admin = await mnemos.keys.create({ appId: 'app', tenantId: 'ops', admin: true });
    const found = await mnemos.keys.authenticate(key);
    expect(found).toMatchObject({
      id: record.id,
      name: 'ci',
      appId: 'app',
      tenantId: 'alice',
      admin: false,
      revokedAt: null,
    });
    expect((await mnemos.keys.authenticate(admin.key))?.admin).toBe(true);
    expect(await mnemos.keys.authenticate(`${key}x`)).toBeNull();
    const [listed] = await mnemos.keys.list(alice);
    expect(listed!.lastUsedAt).not.toBeNull();
    expect((await mnemos.keys.list()).map((item) => item.id).sort()).toEqual(
      [record.id, admin.record.id].sort(),
    );

    await mnemos.keys.revoke(record.id);
    expect(await mnemos.keys.authenticate(key)).toBeNull();
    expect((await mnemos.keys.list(alice))[0]!.revokedAt).not.toBeNull();
    expect(await codeOf(mnemos.keys.revoke(record.id))).toBe('not_found');
  });

  it('marks use at most once a minute through the spec', async () => {
    const { storage } = context;
    const record: ApiKeyRecord = {
      id: randomUUID(),
      prefix: 'mn_abcdefg',
      name: '',
      ...alice,
      admin: false,
      createdAt: new Date(t0).toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await storage.keys.create(record, 'a'.repeat(64));
    expect(await storage.keys.findByHash('a'.repeat(64), t0 + 1_000)).toEqual(record);
    await storage.keys.findByHash('a'.repeat(64), t0 + 30_000);
    expect((await storage.keys.list(alice))[0]!.lastUsedAt).toBe(
      new Date(t0 + 1_000).toISOString(),
    );
    await storage.keys.findByHash('a'.repeat(64), t0 + 120_000);
    expect((await storage.keys.list(alice))[0]!.lastUsedAt).toBe(
      new Date(t0 + 120_000).toISOString(),
    );
    expect(await storage.keys.revoke(record.id, t0 + 200_000)).toBe(true);
    expect(await storage.keys.revoke(record.id, t0 + 200_000)).toBe(false);
    expect(await storage.keys.revoke('absent', t0)).toBe(false);
    expect(await storage.keys.findByHash('a'.repeat(64), t0 + 300_000)).toBeNull();
  });

  it('records audit entries newest first, per tenant, paged', async () => {
    const { storage } = context;
    for (let index = 0; index < 3; index++) {
      await storage.keys.appendAudit({
        id: randomUUID(),
        ...alice,
        keyId: 'key-1',
        method: index === 2 ? 'DELETE' : 'POST',
        path: `/v1/memories/${index}`,
        status: index === 2 ? 404 : 201,
        store: index === 0 ? null : 'mnemos',
        createdAt: new Date(t0 + index).toISOString(),
      });
    }
    const entries = await storage.keys.listAudit(alice, { limit: 10, offset: 0 });
    expect(entries.map((entry) => entry.path)).toEqual([
      '/v1/memories/2',
      '/v1/memories/1',
      '/v1/memories/0',
    ]);
    expect(entries[0]).toMatchObject({
      ...alice,
      keyId: 'key-1',
      method: 'DELETE',
      status: 404,
      store: 'mnemos',
      createdAt: new Date(t0 + 2).toISOString(),
    });
    expect(entries[2]!.store).toBeNull();
    expect(
      (await storage.keys.listAudit(alice, { limit: 1, offset: 1 })).map((entry) => entry.path),
    ).toEqual(['/v1/memories/1']);
  });
});

describe.each(backends)('statistics on $name', (backend) => {
  const { it, context } = conformance(backend, 'statistics');

  it('counts jobs by state, live memories by store and job tokens', async () => {
    const { storage } = context;
    expect(await storage.statistics()).toEqual({
      jobStates: {},
      memoriesByStore: {},
      jobTokens: { promptTokens: 0, completionTokens: 0 },
    });
    const [live, deleted, invalidated] = await seed(storage, [
      newMemory(scopeOf(alice), 'live'),
      newMemory(scopeOf(alice), 'deleted'),
      newMemory(scopeOf(bob), 'invalidated'),
    ]);
    await seed(storage, [newMemory(scopeOf(bob), 'other store')], { store: 'other' });
    await storage.memories.delete('mnemos', alice, deleted!.id, { reason: 'api', now: t0 + 10 });
    await storage.memories.apply(
      'mnemos',
      bob,
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

    const jobs = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await storage.jobs.enqueue(
      'mnemos',
      jobs.map((id) => ({ id, scope: scopeOf(alice), input: { text: 'x', metadata: {} } })),
      t0,
    );
    await storage.jobs.claim({
      worker: 'worker',
      limit: 3,
      leaseMs: 60_000,
      now: t0 + 1,
      isOwnerAlive: () => true,
    });
    await storage.jobs.commit(
      'mnemos',
      [
        {
          jobId: jobs[0]!,
          attempt: 1,
          owner: 'worker',
          tenant: alice,
          mutations: [],
          memoryIds: [live!.id],
          usage: { promptTokens: 100, completionTokens: 20 },
        },
        {
          jobId: jobs[1]!,
          attempt: 1,
          owner: 'worker',
          tenant: alice,
          mutations: [],
          memoryIds: [],
          usage: { promptTokens: 5, completionTokens: 1 },
        },
      ],
      t0 + 2,
    );
    await storage.jobs.fail(
      jobs[2]!,
      { attempt: 1, owner: 'worker' },
      { error: 'boom', retryAt: null, now: t0 + 3 },
    );
    expect(await storage.statistics()).toEqual({
      jobStates: { succeeded: 2, failed: 1, queued: 1 },
      memoriesByStore: { mnemos: 1, other: 1 },
      jobTokens: { promptTokens: 105, completionTokens: 21 },
    });
  });

  it('matches the engine figures after ingestion', async () => {
    const mnemos = await context.engine();
    await mnemos.memories.add({ scope: alice, text: 'One', sync: true });
    await mnemos.memories.add({ scope: bob, text: 'Two', sync: true });
    const statistics = await mnemos.statistics();
    expect(statistics.memoriesByStore).toEqual({ mnemos: 2 });
    expect(statistics.jobStates).toEqual({ succeeded: 2 });
  });
});
