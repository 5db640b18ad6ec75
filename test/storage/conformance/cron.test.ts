import { describe, expect } from 'vitest';
import type { CronJobRecord } from '../../../src/core/cron-record.js';
import type { TenantKey } from '../../../src/core/scope.js';
import type { CronClaim, Storage } from '../../../src/spec/storage.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob, codeOf, t0 } from './fixtures.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A job due at t0 + 1 s; override fields for other states. */
function job(
  tenant: TenantKey,
  id: string,
  name: string,
  changes: Partial<CronJobRecord> = {},
): CronJobRecord {
  return {
    id,
    appId: tenant.appId,
    tenantId: tenant.tenantId,
    name,
    schedule: 'every 1m',
    scheduleKind: 'interval',
    timezone: null,
    task: { type: 'prompt', prompt: 'Summarise the news about 京都' },
    agent: null,
    deliver: ['log', 'webhook:https://example.com/hook'],
    memory: false,
    origin: 'local',
    repeat: { times: null, completed: 0 },
    paused: false,
    nextRunAt: iso(t0 + 1_000),
    lastRunAt: null,
    lastStatus: null,
    lastError: null,
    lease: null,
    createdAt: iso(t0),
    updatedAt: iso(t0),
    ...changes,
  };
}

function claimOf(
  jobId: string,
  runId: string,
  worker: string,
  changes: Partial<CronClaim> = {},
): CronClaim {
  return {
    jobId,
    expectedNextRunAt: t0 + 1_000,
    nextRunAt: t0 + 61_000,
    worker,
    leaseUntil: t0 + 11_000,
    now: t0 + 1_500,
    runId,
    ...changes,
  };
}

async function finishOk(
  storage: Storage,
  tenant: TenantKey,
  jobId: string,
  runId: string,
  worker: string,
) {
  return storage.cron.finish(tenant, {
    jobId,
    runId,
    worker,
    status: 'ok',
    output: 'Cronjob Response: news\n\nAll quiet.',
    error: null,
    deliveries: [{ target: 'log', ok: true }],
    sessionId: 'cron_news_1',
    now: t0 + 2_000,
  });
}

describe.each(backends)('cron on $name', (backend) => {
  const { it, context } = conformance(backend, 'cron');

  it('creates, reads by id or name, lists, updates and deletes jobs per tenant', async () => {
    const { storage } = context;
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'news'));
    await storage.cron.create(
      alice,
      job(alice, 'bbbbbbbbbbbb', 'digest', {
        timezone: 'Europe/Berlin',
        scheduleKind: 'cron',
        schedule: '0 9 * * 1-5',
      }),
    );
    await storage.cron.create(bob, job(bob, 'cccccccccccc', 'news'));
    expect(await storage.cron.get(alice, 'news')).toEqual(job(alice, 'aaaaaaaaaaaa', 'news'));
    expect((await storage.cron.get(alice, 'bbbbbbbbbbbb'))?.timezone).toBe('Europe/Berlin');
    expect(await storage.cron.get(aliceElsewhere, 'news')).toBeNull();
    expect((await storage.cron.list(alice)).map((j) => j.name)).toEqual(['digest', 'news']);
    expect((await storage.cron.list(bob)).map((j) => j.id)).toEqual(['cccccccccccc']);

    const changed = job(alice, 'aaaaaaaaaaaa', 'news-daily', {
      paused: true,
      deliver: [],
      repeat: { times: 3, completed: 0 },
      updatedAt: iso(t0 + 5_000),
    });
    expect(await storage.cron.update(alice, changed)).toBe(true);
    expect(await storage.cron.get(alice, 'news-daily')).toEqual(changed);
    expect(await storage.cron.update(bob, changed)).toBe(false);
    expect(await codeOf(storage.cron.update(alice, { ...changed, name: 'digest' }))).toBe(
      'conflict',
    );

    expect(await storage.cron.delete(bob, 'aaaaaaaaaaaa')).toBe(false);
    expect(await storage.cron.delete(alice, 'aaaaaaaaaaaa')).toBe(true);
    expect(await storage.cron.get(alice, 'aaaaaaaaaaaa')).toBeNull();
    expect(await storage.cron.get(bob, 'news')).not.toBeNull();
  });

  it('rejects a second job of one name in a tenant and a taken id', async () => {
    const { storage } = context;
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'news'));
    expect(await codeOf(storage.cron.create(alice, job(alice, 'dddddddddddd', 'news')))).toBe(
      'conflict',
    );
    expect(await codeOf(storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'other')))).toBe(
      'already_exists',
    );
    await storage.cron.create(bob, job(bob, 'aaaaaaaaaaaa', 'news'));
  });

  it('lists due jobs across tenants, earliest first, without paused or finished ones', async () => {
    const { storage } = context;
    await storage.cron.create(
      alice,
      job(alice, 'aaaaaaaaaaaa', 'late', { nextRunAt: iso(t0 + 3_000) }),
    );
    await storage.cron.create(
      bob,
      job(bob, 'bbbbbbbbbbbb', 'early', { nextRunAt: iso(t0 + 2_000) }),
    );
    await storage.cron.create(alice, job(alice, 'cccccccccccc', 'paused', { paused: true }));
    await storage.cron.create(alice, job(alice, 'dddddddddddd', 'done', { nextRunAt: null }));
    await storage.cron.create(
      alice,
      job(alice, 'eeeeeeeeeeee', 'future', { nextRunAt: iso(t0 + 60_000) }),
    );
    expect((await storage.cron.due(t0 + 5_000, 10)).map((j) => [j.tenantId, j.name])).toEqual([
      ['bob', 'early'],
      ['alice', 'late'],
    ]);
    expect((await storage.cron.due(t0 + 5_000, 1)).map((j) => j.name)).toEqual(['early']);
  });

  it('claims a slot once, moves the job on, renews, finishes and counts the run', async () => {
    const { storage } = context;
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'news'));
    const run = await storage.cron.claim(alice, claimOf('aaaaaaaaaaaa', 'run-1', 'w1'));
    expect(run).toMatchObject({
      id: 'run-1',
      jobName: 'news',
      status: 'running',
      scheduledFor: iso(t0 + 1_000),
      worker: 'w1',
    });
    // The slot moved on: a second claim of the same slot, by anyone, gets nothing.
    expect(await storage.cron.claim(alice, claimOf('aaaaaaaaaaaa', 'run-2', 'w2'))).toBeNull();
    // Bob cannot claim Alice's job.
    expect(await storage.cron.claim(bob, claimOf('aaaaaaaaaaaa', 'run-3', 'w2'))).toBeNull();
    const held = await storage.cron.get(alice, 'news');
    expect(held?.nextRunAt).toBe(iso(t0 + 61_000));
    expect(held?.lease).toEqual({ runId: 'run-1', worker: 'w1', until: iso(t0 + 11_000) });

    expect(await storage.cron.renew(alice, 'aaaaaaaaaaaa', 'run-1', 'w2', t0 + 50_000)).toBe(false);
    expect(await storage.cron.renew(alice, 'aaaaaaaaaaaa', 'run-1', 'w1', t0 + 20_000)).toBe(true);
    expect((await storage.cron.get(alice, 'news'))?.lease?.until).toBe(iso(t0 + 20_000));

    expect(await finishOk(storage, alice, 'aaaaaaaaaaaa', 'run-1', 'w2')).toBeNull();
    const finished = await finishOk(storage, alice, 'aaaaaaaaaaaa', 'run-1', 'w1');
    expect(finished).toMatchObject({
      status: 'ok',
      output: 'Cronjob Response: news\n\nAll quiet.',
      deliveries: [{ target: 'log', ok: true }],
      sessionId: 'cron_news_1',
      finishedAt: iso(t0 + 2_000),
    });
    expect(await storage.cron.run(alice, 'run-1')).toEqual(finished);
    expect(await storage.cron.run(bob, 'run-1')).toBeNull();
    const after = await storage.cron.get(alice, 'news');
    expect(after).toMatchObject({
      lease: null,
      lastStatus: 'ok',
      lastRunAt: iso(t0 + 2_000),
      repeat: { times: null, completed: 1 },
    });
    // Finishing twice changes nothing.
    expect(await finishOk(storage, alice, 'aaaaaaaaaaaa', 'run-1', 'w1')).toBeNull();
  });

  it('does not claim a paused job, and a claim to null ends the schedule', async () => {
    const { storage } = context;
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'paused', { paused: true }));
    expect(await storage.cron.claim(alice, claimOf('aaaaaaaaaaaa', 'run-1', 'w1'))).toBeNull();
    await storage.cron.create(
      alice,
      job(alice, 'bbbbbbbbbbbb', 'once', { scheduleKind: 'once', schedule: 'in 1s' }),
    );
    expect(
      await storage.cron.claim(alice, claimOf('bbbbbbbbbbbb', 'run-2', 'w1', { nextRunAt: null })),
    ).not.toBeNull();
    expect((await storage.cron.get(alice, 'once'))?.nextRunAt).toBeNull();
    expect(await storage.cron.due(t0 + 100_000, 10)).toEqual([]);
  });

  it('records a slot that comes while the job still runs as skipped', async () => {
    const { storage } = context;
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'slow', { schedule: 'every 1s' }));
    await storage.cron.claim(
      alice,
      claimOf('aaaaaaaaaaaa', 'run-1', 'w1', { nextRunAt: t0 + 2_000 }),
    );
    // Nothing to skip without a lease held elsewhere... here one is held, so the next slot is skipped.
    const skipped = await storage.cron.skip(alice, {
      jobId: 'aaaaaaaaaaaa',
      expectedNextRunAt: t0 + 2_000,
      nextRunAt: t0 + 3_000,
      worker: 'w2',
      now: t0 + 2_100,
      runId: 'run-2',
    });
    expect(skipped).toMatchObject({
      status: 'skipped',
      scheduledFor: iso(t0 + 2_000),
      finishedAt: iso(t0 + 2_100),
    });
    expect(
      await storage.cron.skip(alice, {
        jobId: 'aaaaaaaaaaaa',
        expectedNextRunAt: t0 + 2_000,
        nextRunAt: t0 + 3_000,
        worker: 'w3',
        now: t0 + 2_100,
        runId: 'run-3',
      }),
    ).toBeNull();
    const held = await storage.cron.get(alice, 'slow');
    expect(held?.lease?.runId).toBe('run-1');
    expect(held?.nextRunAt).toBe(iso(t0 + 3_000));
    await finishOk(storage, alice, 'aaaaaaaaaaaa', 'run-1', 'w1');
    // Without a lease there is nothing to skip.
    expect(
      await storage.cron.skip(alice, {
        jobId: 'aaaaaaaaaaaa',
        expectedNextRunAt: t0 + 3_000,
        nextRunAt: t0 + 4_000,
        worker: 'w2',
        now: t0 + 3_100,
        runId: 'run-4',
      }),
    ).toBeNull();
    expect((await storage.cron.get(alice, 'slow'))?.repeat.completed).toBe(1);
  });

  it('takes over a run whose lease expired: the run fails and the job is due again', async () => {
    const { storage } = context;
    await storage.cron.create(
      alice,
      job(alice, 'aaaaaaaaaaaa', 'hung', { scheduleKind: 'once', schedule: 'in 1s' }),
    );
    await storage.cron.create(bob, job(bob, 'bbbbbbbbbbbb', 'fine'));
    await storage.cron.claim(alice, claimOf('aaaaaaaaaaaa', 'run-1', 'w1', { nextRunAt: null }));
    await storage.cron.claim(
      bob,
      claimOf('bbbbbbbbbbbb', 'run-2', 'w1', { leaseUntil: t0 + 90_000 }),
    );
    expect(await storage.cron.expire(t0 + 5_000)).toEqual([]);
    const expired = await storage.cron.expire(t0 + 12_000);
    expect(expired.map((run) => [run.id, run.status, run.error])).toEqual([
      ['run-1', 'error', 'lease expired'],
    ]);
    const hung = await storage.cron.get(alice, 'hung');
    expect(hung).toMatchObject({
      lease: null,
      lastStatus: 'error',
      lastError: 'lease expired',
      nextRunAt: iso(t0 + 12_000),
    });
    // The old worker's late finish is refused; a new claim of the slot works.
    expect(await finishOk(storage, alice, 'aaaaaaaaaaaa', 'run-1', 'w1')).toBeNull();
    expect(
      await storage.cron.claim(
        alice,
        claimOf('aaaaaaaaaaaa', 'run-3', 'w2', { expectedNextRunAt: t0 + 12_000, nextRunAt: null }),
      ),
    ).not.toBeNull();
    expect((await storage.cron.get(bob, 'fine'))?.lease?.runId).toBe('run-2');
  });

  it('pages runs newest first per job or tenant and prunes old ones', async () => {
    const { storage } = context;
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'a', { nextRunAt: iso(t0) }));
    await storage.cron.create(alice, job(alice, 'bbbbbbbbbbbb', 'b', { nextRunAt: iso(t0) }));
    for (let index = 0; index < 4; index++) {
      for (const id of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb']) {
        const slot = t0 + index * 1_000;
        await storage.cron.claim(
          alice,
          claimOf(id, `${id.slice(0, 1)}-${index}`, 'w1', {
            expectedNextRunAt: slot,
            nextRunAt: slot + 1_000,
            now: slot,
          }),
        );
        await finishOk(storage, alice, id, `${id.slice(0, 1)}-${index}`, 'w1');
      }
    }
    expect(
      (await storage.cron.runs(alice, { limit: 3, offset: 0 }, { jobId: 'aaaaaaaaaaaa' })).map(
        (r) => r.id,
      ),
    ).toEqual(['a-3', 'a-2', 'a-1']);
    expect(
      (await storage.cron.runs(alice, { limit: 3, offset: 3 }, { jobId: 'aaaaaaaaaaaa' })).map(
        (r) => r.id,
      ),
    ).toEqual(['a-0']);
    expect((await storage.cron.runs(alice, { limit: 100, offset: 0 })).length).toBe(8);
    expect(await storage.cron.runs(bob, { limit: 100, offset: 0 })).toEqual([]);
    expect(await storage.cron.pruneRuns(bob, 'aaaaaaaaaaaa', 1)).toBe(0);
    expect(await storage.cron.pruneRuns(alice, 'aaaaaaaaaaaa', 2)).toBe(2);
    expect(
      (await storage.cron.runs(alice, { limit: 100, offset: 0 }, { jobId: 'aaaaaaaaaaaa' })).map(
        (r) => r.id,
      ),
    ).toEqual(['a-3', 'a-2']);
    expect(
      (await storage.cron.runs(alice, { limit: 100, offset: 0 }, { jobId: 'bbbbbbbbbbbb' })).length,
    ).toBe(4);
    // Deleting a job deletes its runs.
    await storage.cron.delete(alice, 'bbbbbbbbbbbb');
    expect(await storage.cron.run(alice, 'b-0')).toBeNull();
  });

  it('lets exactly one of two claimants racing for the same slot win', async () => {
    const { storage } = context;
    const other = await context.openAnother();
    await storage.cron.create(alice, job(alice, 'aaaaaaaaaaaa', 'race', { schedule: 'every 1s' }));
    for (let slot = 0; slot < 10; slot++) {
      const at = t0 + 1_000 + slot * 1_000;
      const claims = await Promise.all(
        [storage, other, storage, other].map((side, index) =>
          side.cron.claim(
            alice,
            claimOf('aaaaaaaaaaaa', `run-${slot}-${index}`, `w${index}`, {
              expectedNextRunAt: at,
              nextRunAt: at + 1_000,
              now: at,
            }),
          ),
        ),
      );
      const winners = claims.filter((run) => run !== null);
      expect(winners).toHaveLength(1);
      await finishOk(storage, alice, 'aaaaaaaaaaaa', winners[0]!.id, winners[0]!.worker);
    }
    expect((await storage.cron.runs(alice, { limit: 100, offset: 0 })).length).toBe(10);
    expect((await other.cron.get(alice, 'race'))?.repeat.completed).toBe(10);
  });
});
