import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newMemory, scopeOf, seed } from '../../test/storage/conformance/fixtures.js';
import { tempHome } from '../../test/support/temp-home.js';
import type { TenantKey } from '../core/scope.js';
import { Mnemos } from '../mnemos.js';
import { maintenanceJobs } from './maintenance-tasks.js';

const day = 86_400_000;
const alice: TenantKey = { appId: 'app', tenantId: 'alice' };
const bob: TenantKey = { appId: 'app', tenantId: 'bob' };

describe('maintenance jobs', () => {
  let dir: ReturnType<typeof tempHome>;
  let mnemos: Mnemos;

  const open = async (maintenance: Record<string, unknown>) => {
    mnemos = await Mnemos.open({ home: dir.home, config: { maintenance }, processJobs: false });
    return mnemos;
  };

  beforeEach(() => {
    dir = tempHome('mnemos-maintenance-');
  });
  afterEach(async () => {
    await mnemos?.close();
    dir.remove();
  });

  it('offers only the enabled jobs, with their schedules', async () => {
    await open({});
    expect(maintenanceJobs(mnemos, mnemos.config.maintenance)).toEqual([]);
    await mnemos.close();
    await open({
      memory_cleanup: { enabled: true, schedule: '0 3 * * *' },
      session_cleanup: { enabled: true },
    });
    const jobs = maintenanceJobs(mnemos, mnemos.config.maintenance);
    expect(jobs.map((job) => [job.name, job.schedule])).toEqual([
      ['memory_cleanup', '0 3 * * *'],
      ['session_cleanup', 'every 1d'],
    ]);
  });

  it('expires old memories of every tenant and store, keeping the recalled and kept kinds', async () => {
    await open({ memory_cleanup: { enabled: true, max_age_days: 90, keep_kinds: ['profile'] } });
    const longAgo = Date.now() - 100 * day;
    const [old, recalled, profile] = await seed(
      mnemos.storage,
      [
        newMemory(scopeOf(alice), 'The user once booked a dentist'),
        newMemory(scopeOf(alice), 'The user lives in Hangzhou'),
        newMemory(scopeOf(alice), 'The user is called Li Wei', { kind: 'profile' }),
        newMemory(scopeOf(bob), 'Bob once lost his keys'),
      ],
      { at: longAgo },
    );
    const [journal] = await seed(mnemos.storage, [newMemory(scopeOf(bob), 'Bob wrote a poem')], {
      store: 'journal',
      at: longAgo,
    });
    const [row] = await mnemos.storage.memories.get('mnemos', alice, [recalled!.id]);
    await mnemos.storage.memories.recordAccess('mnemos', alice, new Map([[row!.key, 5]]), longAgo);

    const [job] = maintenanceJobs(mnemos, mnemos.config.maintenance);
    expect(await job!.run(new AbortController().signal)).toBe(
      'deleted 3 of 3 memories older than 90 days in 2 store(s)',
    );
    const live = await mnemos.memories.list({ scope: alice });
    expect(live.memories.map((memory) => memory.id).sort()).toEqual(
      [recalled!.id, profile!.id].sort(),
    );
    expect((await mnemos.memories.get({ scope: alice, id: old!.id })).deletedAt).not.toBeNull();
    expect(
      (await mnemos.memories.get({ scope: bob, id: journal!.id, store: 'journal' })).deletedAt,
    ).not.toBeNull();
  });

  it('deletes idle sessions, and stops when its signal is aborted', async () => {
    await open({ session_cleanup: { enabled: true, max_age_days: 30 } });
    const longAgo = new Date(Date.now() - 31 * day).toISOString();
    for (const tenant of [alice, bob]) {
      await mnemos.storage.sessions.create({
        id: randomUUID(),
        ...tenant,
        agentId: 'default',
        title: 'old',
        metadata: {},
        parentId: null,
        messageCount: 0,
        createdAt: longAgo,
        updatedAt: longAgo,
      });
    }
    const fresh = await mnemos.sessions.create(alice, { title: 'today' });
    const [job] = maintenanceJobs(mnemos, mnemos.config.maintenance);
    const stopped = new AbortController();
    stopped.abort();
    await expect(job!.run(stopped.signal)).rejects.toBeTruthy();
    expect(await mnemos.sessions.list(bob)).toHaveLength(1);

    expect(await job!.run(new AbortController().signal)).toBe(
      'deleted 2 session(s) idle for more than 30 days',
    );
    expect((await mnemos.sessions.list(alice)).map((session) => session.id)).toEqual([fresh.id]);
    expect(await mnemos.sessions.list(bob)).toEqual([]);
  });
});
