import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { JobInput } from '../../../src/core/job-record.js';
import type { Storage } from '../../../src/spec/storage.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import {
  alice,
  bob,
  codeOf,
  everything,
  newMemory,
  scopeOf,
  seed,
  sorted,
  t0,
} from './fixtures.js';

const lease = 60_000;
const alive = () => true;
const dead = () => false;

const input: JobInput = {
  messages: [
    { role: 'user', content: '我下周去东京出差', createdAt: '2026-03-01T10:00:00Z' },
    { role: 'assistant', content: 'Have a good trip!' },
  ],
  metadata: { channel: 'web', 语言: '中文' },
  kind: 'event',
};

async function enqueue(storage: Storage, count: number, at = t0): Promise<string[]> {
  if (!(await storage.stores.get('mnemos'))) await seed(storage, []);
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const id = randomUUID();
    await storage.jobs.enqueue(
      'mnemos',
      [{ id, scope: scopeOf(alice), input: { text: `job ${index}`, metadata: {} } }],
      at + index,
    );
    ids.push(id);
  }
  return ids;
}

describe.each(backends)('jobs on $name', (backend) => {
  const { it, context } = conformance(backend, 'jobs');

  it('enqueues durably with the input verbatim, and lists and counts jobs', async () => {
    const { storage } = context;
    await seed(storage, []);
    const ids = [randomUUID(), randomUUID()];
    const records = await storage.jobs.enqueue(
      'mnemos',
      ids.map((id) => ({ id, scope: scopeOf(alice, 'agent', 'run'), input })),
      t0,
    );
    expect(records.map((record) => record.id)).toEqual(ids);
    const job = await storage.jobs.get('mnemos', alice, ids[0]!);
    expect(job).toEqual({
      id: ids[0],
      store: 'mnemos',
      scope: scopeOf(alice, 'agent', 'run'),
      state: 'queued',
      input,
      memoryIds: [],
      error: null,
      attempts: 0,
      createdAt: new Date(t0).toISOString(),
      updatedAt: new Date(t0).toISOString(),
    });
    expect(records[0]).toEqual(job);
    expect(await storage.jobs.pendingCount('mnemos')).toBe(2);
    expect(await storage.jobs.pendingCount('other')).toBe(0);
    expect(await storage.jobs.pendingCount(null)).toBe(2);
    expect(
      await storage.jobs.list('mnemos', alice, ['queued'], { limit: 10, offset: 0 }),
    ).toHaveLength(2);
    expect(await storage.jobs.list('mnemos', alice, ['failed'], { limit: 10, offset: 0 })).toEqual(
      [],
    );
    expect(await storage.jobs.list('mnemos', alice, [], { limit: 1, offset: 1 })).toHaveLength(1);
  });

  it('lists jobs newest first', async () => {
    const { storage } = context;
    const ids = await enqueue(storage, 3);
    const listed = await storage.jobs.list('mnemos', alice, [], { limit: 10, offset: 0 });
    expect(listed.map((job) => job.id)).toEqual([...ids].reverse());
  });

  it('claims with a lease, oldest first, and never hands one job to two workers', async () => {
    const { storage } = context;
    const ids = await enqueue(storage, 3);
    const first = await storage.jobs.claim({
      worker: 'worker-a',
      limit: 2,
      leaseMs: lease,
      now: t0 + 100,
      isOwnerAlive: alive,
    });
    expect(first.map((job) => job.id)).toEqual(ids.slice(0, 2));
    expect(first[0]).toMatchObject({ state: 'running', attempts: 1 });
    const second = await storage.jobs.claim({
      worker: 'worker-b',
      limit: 5,
      leaseMs: lease,
      now: t0 + 200,
      isOwnerAlive: alive,
    });
    expect(second.map((job) => job.id)).toEqual([ids[2]]);
    expect(
      await storage.jobs.claim({
        worker: 'worker-c',
        limit: 5,
        leaseMs: lease,
        now: t0 + 300,
        isOwnerAlive: alive,
      }),
    ).toEqual([]);
    expect(await storage.jobs.pendingCount('mnemos')).toBe(3);
  });

  it('does not double-claim across two storages on the same database', async () => {
    const { storage } = context;
    const other = await context.openAnother();
    const ids = await enqueue(storage, 24);
    const claimed: string[] = [];
    let now = t0 + 1_000;
    const tick = () => {
      now += 1;
      return now;
    };
    // Each worker finishes what it claims, as the job runner does, until the queue is empty.
    const worker = async (store: Storage, name: string) => {
      for (;;) {
        const jobs = await store.jobs.claim({
          worker: name,
          limit: 3,
          leaseMs: lease,
          now: tick(),
          isOwnerAlive: alive,
        });
        if (jobs.length === 0) return;
        claimed.push(...jobs.map((job) => job.id));
        const completions = jobs.map((job) => ({
          jobId: job.id,
          attempt: job.attempts,
          owner: name,
          tenant: alice,
          mutations: [],
          memoryIds: [],
        }));
        await store.jobs.commit('mnemos', completions, tick());
      }
    };
    await Promise.all([
      worker(storage, 'worker-a'),
      worker(other, 'worker-b'),
      worker(storage, 'worker-c'),
      worker(other, 'worker-d'),
    ]);
    expect(claimed).toHaveLength(ids.length);
    expect(sorted(claimed)).toEqual(sorted(ids));
    expect(
      await storage.jobs.list('mnemos', alice, ['succeeded'], { limit: 50, offset: 0 }),
    ).toHaveLength(24);
  });

  it('reclaims a job whose lease expired or whose owner died', async () => {
    const { storage } = context;
    const [id] = await enqueue(storage, 1);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 1,
      leaseMs: lease,
      now: t0,
      isOwnerAlive: alive,
    });
    expect(
      await storage.jobs.claim({
        worker: 'worker-b',
        limit: 1,
        leaseMs: lease,
        now: t0 + lease - 1,
        isOwnerAlive: alive,
      }),
    ).toEqual([]);
    const [taken] = await storage.jobs.claim({
      worker: 'worker-b',
      limit: 1,
      leaseMs: lease,
      now: t0 + lease + 1,
      isOwnerAlive: alive,
    });
    expect(taken).toMatchObject({ id, state: 'running', attempts: 2 });
    // Before its lease ends, worker-b is seen dead: worker-c takes the job over at once.
    const [rescued] = await storage.jobs.claim({
      worker: 'worker-c',
      limit: 1,
      leaseMs: lease,
      now: t0 + lease + 2,
      isOwnerAlive: dead,
    });
    expect(rescued).toMatchObject({ id, attempts: 3 });
  });

  it("refuses the result of a worker whose job was taken over, and keeps the new owner's", async () => {
    const { storage } = context;
    const [first, second] = await enqueue(storage, 2);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 2,
      leaseMs: lease,
      now: t0,
      isOwnerAlive: alive,
    });
    // worker-a stalls past its lease: worker-b takes both jobs over (attempt 2).
    const taken = await storage.jobs.claim({
      worker: 'worker-b',
      limit: 2,
      leaseMs: lease,
      now: t0 + lease + 1,
      isOwnerAlive: alive,
    });
    expect(taken.map((job) => job.attempts)).toEqual([2, 2]);
    const late = newMemory(scopeOf(alice), 'written by the worker that lost its lease');
    const completion = (id: string, attempt: number, memory = late) => ({
      jobId: id,
      attempt,
      owner: attempt === 1 ? 'worker-a' : 'worker-b',
      tenant: alice,
      mutations: [{ type: 'insert' as const, memory }],
      memoryIds: [memory.id],
    });
    const refused = await codeOf(
      storage.jobs.commit(
        'mnemos',
        [completion(first!, 1), completion(second!, 2, newMemory(scopeOf(alice), 'b'))],
        t0 + lease + 2,
      ),
    );
    expect(refused).toBe('lease_lost');
    expect(
      await storage.memories.get('mnemos', alice, [late.id], { includeDeleted: true }),
    ).toEqual([]);
    const stale = { attempt: 1, owner: 'worker-a' };
    await storage.jobs.fail(first!, stale, {
      error: 'late failure',
      retryAt: t0 + lease + 5_000,
      now: t0 + lease + 3,
    });
    expect(await storage.jobs.get('mnemos', alice, first!)).toMatchObject({
      state: 'running',
      error: null,
      attempts: 2,
    });
    const fresh = newMemory(scopeOf(alice), 'written by the owner');
    await storage.jobs.commit(
      'mnemos',
      [completion(first!, 2, fresh), completion(second!, 2, newMemory(scopeOf(alice), 'c'))],
      t0 + lease + 4,
    );
    expect(await storage.jobs.get('mnemos', alice, first!)).toMatchObject({
      state: 'succeeded',
      memoryIds: [fresh.id],
    });
    // A finished job refuses any further result, even of its own attempt.
    expect(
      await codeOf(storage.jobs.commit('mnemos', [completion(first!, 2)], t0 + lease + 5)),
    ).toBe('lease_lost');
  });

  it('refuses a stale result even after a retry has reset the attempt count', async () => {
    const { storage } = context;
    const [id] = await enqueue(storage, 1);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 1,
      leaseMs: lease,
      now: t0,
      isOwnerAlive: alive,
    });
    // worker-a stalls; worker-b takes over and fails the job for good; an operator retries it.
    await storage.jobs.claim({
      worker: 'worker-b',
      limit: 1,
      leaseMs: lease,
      now: t0 + lease + 1,
      isOwnerAlive: alive,
    });
    await storage.jobs.fail(
      id!,
      { attempt: 2, owner: 'worker-b' },
      { error: 'boom', retryAt: null, now: t0 + lease + 2 },
    );
    expect(await storage.jobs.retry('mnemos', alice, [id!], t0 + lease + 3)).toBe(1);
    const [again] = await storage.jobs.claim({
      worker: 'worker-c',
      limit: 1,
      leaseMs: lease,
      now: t0 + lease + 4,
      isOwnerAlive: alive,
    });
    expect(again).toMatchObject({ id, attempts: 1 });
    // worker-a wakes with attempt 1, the same number worker-c now holds.
    const stale = newMemory(scopeOf(alice), 'stale result');
    const result = (owner: string, memory = stale) => ({
      jobId: id!,
      attempt: 1,
      owner,
      tenant: alice,
      mutations: [{ type: 'insert' as const, memory }],
      memoryIds: [memory.id],
    });
    expect(await codeOf(storage.jobs.commit('mnemos', [result('worker-a')], t0 + lease + 5))).toBe(
      'lease_lost',
    );
    await storage.jobs.fail(
      id!,
      { attempt: 1, owner: 'worker-a' },
      { error: 'late', retryAt: null, now: t0 + lease + 6 },
    );
    expect(await storage.jobs.get('mnemos', alice, id!)).toMatchObject({ state: 'running' });
    const fresh = newMemory(scopeOf(alice), 'fresh result');
    await storage.jobs.commit('mnemos', [result('worker-c', fresh)], t0 + lease + 7);
    expect(await storage.jobs.get('mnemos', alice, id!)).toMatchObject({
      state: 'succeeded',
      memoryIds: [fresh.id],
    });
    expect(
      await storage.memories.get('mnemos', alice, [stale.id], { includeDeleted: true }),
    ).toEqual([]);
  });

  it('renews the leases of a running batch for its owner only', async () => {
    const { storage } = context;
    const [id] = await enqueue(storage, 1);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 1,
      leaseMs: lease,
      now: t0,
      isOwnerAlive: alive,
    });
    const held = [{ id: id!, attempt: 1 }];
    expect(
      await storage.jobs.renew('worker-b', held, { leaseMs: lease, now: t0 + lease - 1 }),
    ).toBe(0);
    expect(
      await storage.jobs.renew('worker-a', [{ id: id!, attempt: 2 }], {
        leaseMs: lease,
        now: t0 + 1,
      }),
    ).toBe(0);
    expect(
      await storage.jobs.renew('worker-a', held, { leaseMs: lease, now: t0 + lease - 1 }),
    ).toBe(1);
    // The renewed lease runs to t0 + 2 × lease - 1: no takeover before that.
    expect(
      await storage.jobs.claim({
        worker: 'worker-b',
        limit: 1,
        leaseMs: lease,
        now: t0 + lease + 1,
        isOwnerAlive: alive,
      }),
    ).toEqual([]);
    const [taken] = await storage.jobs.claim({
      worker: 'worker-b',
      limit: 1,
      leaseMs: lease,
      now: t0 + 2 * lease,
      isOwnerAlive: alive,
    });
    expect(taken).toMatchObject({ id, attempts: 2 });
    expect(
      await storage.jobs.renew('worker-a', held, { leaseMs: lease, now: t0 + 2 * lease + 1 }),
    ).toBe(0);
  });

  it('honours the claim given at enqueue time', async () => {
    const { storage } = context;
    await seed(storage, []);
    const id = randomUUID();
    const [job] = await storage.jobs.enqueue('mnemos', [{ id, scope: scopeOf(alice), input }], t0, {
      claim: {
        worker: 'worker-a',
        leaseMs: lease,
      },
    });
    expect(job).toMatchObject({ state: 'running', attempts: 1 });
    expect(
      await storage.jobs.claim({
        worker: 'worker-b',
        limit: 1,
        leaseMs: lease,
        now: t0 + 1,
        isOwnerAlive: alive,
      }),
    ).toEqual([]);
    expect(
      (
        await storage.jobs.claim({
          worker: 'worker-b',
          limit: 1,
          leaseMs: lease,
          now: t0 + lease + 1,
          isOwnerAlive: alive,
        })
      ).map((j) => j.id),
    ).toEqual([id]);
  });

  it('retries a failed attempt after its backoff, then fails for good and retries on request', async () => {
    const { storage } = context;
    const [id] = await enqueue(storage, 1);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 1,
      leaseMs: lease,
      now: t0,
      isOwnerAlive: alive,
    });
    const claim = { attempt: 1, owner: 'worker-a' };
    await storage.jobs.fail(id!, claim, {
      error: 'embedder timed out',
      retryAt: t0 + 5_000,
      now: t0 + 10,
    });
    expect(await storage.jobs.get('mnemos', alice, id!)).toMatchObject({
      state: 'queued',
      error: 'embedder timed out',
      attempts: 1,
    });
    expect(
      await storage.jobs.claim({
        worker: 'worker-a',
        limit: 1,
        leaseMs: lease,
        now: t0 + 4_999,
        isOwnerAlive: alive,
      }),
    ).toEqual([]);
    expect(
      await storage.jobs.claim({
        worker: 'worker-a',
        limit: 1,
        leaseMs: lease,
        now: t0 + 5_000,
        isOwnerAlive: alive,
      }),
    ).toHaveLength(1);
    const second = { attempt: 2, owner: 'worker-a' };
    await storage.jobs.fail(id!, second, {
      error: 'bad input: 无法解析',
      retryAt: null,
      now: t0 + 6_000,
    });
    const failed = await storage.jobs.get('mnemos', alice, id!);
    expect(failed).toMatchObject({
      state: 'failed',
      error: 'bad input: 无法解析',
      attempts: 2,
      updatedAt: new Date(t0 + 6_000).toISOString(),
    });
    expect(await storage.jobs.pendingCount(null)).toBe(0);
    expect(
      await storage.jobs.claim({
        worker: 'worker-a',
        limit: 1,
        leaseMs: lease,
        now: t0 + 1_000_000,
        isOwnerAlive: alive,
      }),
    ).toEqual([]);
    expect(
      await storage.jobs.list('mnemos', alice, ['failed'], { limit: 10, offset: 0 }),
    ).toHaveLength(1);

    expect(await storage.jobs.retry('mnemos', alice, ['absent'], t0 + 7_000)).toBe(0);
    expect(await storage.jobs.retry('mnemos', alice, [id!], t0 + 7_000)).toBe(1);
    expect(await storage.jobs.get('mnemos', alice, id!)).toMatchObject({
      state: 'queued',
      error: null,
      attempts: 0,
    });
    expect(await storage.jobs.retry('mnemos', alice, 'all-failed', t0 + 7_000)).toBe(0);
    expect(
      await storage.jobs.claim({
        worker: 'worker-a',
        limit: 1,
        leaseMs: lease,
        now: t0 + 7_001,
        isOwnerAlive: alive,
      }),
    ).toHaveLength(1);
  });

  it('retries every failed job of a tenant', async () => {
    const { storage } = context;
    const ids = await enqueue(storage, 3);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 3,
      leaseMs: lease,
      now: t0 + 10,
      isOwnerAlive: alive,
    });
    const claim = { attempt: 1, owner: 'worker-a' };
    for (const id of ids.slice(0, 2))
      await storage.jobs.fail(id, claim, { error: 'boom', retryAt: null, now: t0 + 20 });
    expect(await storage.jobs.retry('mnemos', alice, 'all-failed', t0 + 30)).toBe(2);
    expect(
      await storage.jobs.list('mnemos', alice, ['queued'], { limit: 10, offset: 0 }),
    ).toHaveLength(2);
  });

  it('commits memories, profile and the job together', async () => {
    const { storage } = context;
    const [id] = await enqueue(storage, 1);
    const [existing] = await seed(storage, [newMemory(scopeOf(alice), 'Lives in Hangzhou')]);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 1,
      leaseMs: lease,
      now: t0 + 10,
      isOwnerAlive: alive,
    });
    const fresh = newMemory(scopeOf(alice), 'Lives in Shanghai now');
    await storage.jobs.commit(
      'mnemos',
      [
        {
          jobId: id!,
          attempt: 1,
          owner: 'worker-a',
          tenant: alice,
          mutations: [
            { type: 'insert', memory: fresh },
            {
              type: 'update',
              id: existing!.id,
              reason: 'contradicted',
              patch: { validTo: t0 + 20 },
            },
          ],
          memoryIds: [fresh.id],
          usage: { promptTokens: 120, completionTokens: 30 },
          profile: [{ key: 'city', value: '上海', source: 'extracted', memoryId: fresh.id }],
        },
      ],
      t0 + 20,
    );
    expect(await storage.jobs.get('mnemos', alice, id!)).toMatchObject({
      state: 'succeeded',
      memoryIds: [fresh.id],
      usage: { promptTokens: 120, completionTokens: 30 },
      error: null,
    });
    expect(await storage.memories.get('mnemos', alice, [fresh.id])).toHaveLength(1);
    const [invalidated] = await storage.memories.get('mnemos', alice, [existing!.id]);
    expect(invalidated!.validTo).toBe(new Date(t0 + 20).toISOString());
    expect(await storage.profiles.get(alice)).toEqual([
      {
        key: 'city',
        value: '上海',
        source: 'extracted',
        memoryId: fresh.id,
        updatedAt: new Date(t0 + 20).toISOString(),
      },
    ]);
    expect(await storage.jobs.pendingCount(null)).toBe(0);
    // A succeeded job is not claimable again.
    expect(
      await storage.jobs.claim({
        worker: 'worker-b',
        limit: 1,
        leaseMs: lease,
        now: t0 + 10 * lease,
        isOwnerAlive: dead,
      }),
    ).toEqual([]);
  });

  it('commits nothing of a batch when one completion fails', async () => {
    const { storage } = context;
    const [good, bad] = await enqueue(storage, 2);
    await storage.jobs.claim({
      worker: 'worker-a',
      limit: 2,
      leaseMs: lease,
      now: t0 + 10,
      isOwnerAlive: alive,
    });
    const fresh = newMemory(scopeOf(alice), 'Should not survive');
    const failed = storage.jobs.commit(
      'mnemos',
      [
        {
          jobId: good!,
          attempt: 1,
          owner: 'worker-a',
          tenant: alice,
          mutations: [{ type: 'insert', memory: fresh }],
          memoryIds: [fresh.id],
          profile: [{ key: 'name', value: 'Alice', source: 'extracted' }],
        },
        {
          jobId: bad!,
          attempt: 1,
          owner: 'worker-a',
          tenant: alice,
          mutations: [
            { type: 'update', id: 'absent', reason: 'llm_update', patch: { salience: 1 } },
          ],
          memoryIds: [],
        },
      ],
      t0 + 20,
    );
    expect(await codeOf(failed)).toBe('not_found');
    expect(
      await storage.memories.get('mnemos', alice, [fresh.id], { includeDeleted: true }),
    ).toEqual([]);
    expect(await storage.profiles.get(alice)).toEqual([]);
    expect((await storage.jobs.get('mnemos', alice, good!))!.state).toBe('running');
    expect((await storage.jobs.get('mnemos', alice, bad!))!.state).toBe('running');
    expect(
      await storage.memories.count('mnemos', everything(alice), { includeDeleted: true }),
    ).toBe(0);
  });

  it('runs queued jobs through the engine and reports them per tenant', async () => {
    const mnemos = await context.engine();
    const job = await mnemos.memories.add({ scope: alice, text: 'Asynchronous note about kayaks' });
    expect(job.status).toBe('running');
    await mnemos.drain();
    const finished = await mnemos.memories.job({ scope: alice, id: job.id });
    expect(finished).toMatchObject({ status: 'succeeded', error: null });
    expect(finished.memoryIds).toHaveLength(1);
    const [stored] = await mnemos.memories.jobs({ scope: alice });
    expect(stored).toMatchObject({
      id: job.id,
      state: 'succeeded',
      input: { text: 'Asynchronous note about kayaks' },
    });
    expect(await mnemos.memories.jobs({ scope: bob })).toEqual([]);
    expect(await mnemos.memories.pendingJobCount()).toBe(0);
    expect(await codeOf(mnemos.memories.job({ scope: alice, id: randomUUID() }))).toBe('not_found');
  });
});
