import { describe, expect } from 'vitest';
import { MnemosError } from '../../../src/core/errors.js';
import type { TeamRunRecord } from '../../../src/core/team-run-record.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob, t0 } from './fixtures.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A run that has just started; override fields for later states. */
function run(id: string, changes: Partial<TeamRunRecord> = {}): TeamRunRecord {
  return {
    id,
    team: 'research',
    input: 'topic: 京都的寺庙\ndepth: 3',
    status: 'running',
    output: '',
    steps: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    startedAt: iso(t0),
    finishedAt: null,
    ...changes,
  };
}

const finished: Partial<TeamRunRecord> = {
  status: 'stopped',
  output: '',
  steps: [
    {
      role: 'planner',
      round: 1,
      status: 'succeeded',
      output: '1. temples\n2. gardens',
      usage: { inputTokens: 120, outputTokens: 30 },
      steps: 2,
      startedAt: iso(t0),
      finishedAt: iso(t0 + 1_500),
    },
    {
      role: 'writer',
      round: 1,
      status: 'failed',
      output: '',
      usage: { inputTokens: 0, outputTokens: 0 },
      steps: 0,
      error: 'step_timeout_ms: step writer took longer than 1000 ms',
      startedAt: iso(t0 + 1_500),
      finishedAt: iso(t0 + 2_500),
    },
  ],
  usage: { inputTokens: 120, outputTokens: 30 },
  error: 'step_timeout_ms: step writer took longer than 1000 ms',
  finishedAt: iso(t0 + 2_500),
};

describe.each(backends)('team runs on $name', (backend) => {
  const { it, context } = conformance(backend, 'team runs');

  it('creates a run, replaces it whole on update and reads it back', async () => {
    const { storage } = context;
    expect(await storage.teamRuns.get(alice, 'r1')).toBeNull();
    await storage.teamRuns.create(alice, run('r1'));
    expect(await storage.teamRuns.get(alice, 'r1')).toEqual(run('r1'));
    expect(await storage.teamRuns.update(alice, run('r1', finished))).toBe(true);
    expect(await storage.teamRuns.get(alice, 'r1')).toEqual(run('r1', finished));
    const approved = run('r1', {
      status: 'succeeded',
      output: 'report',
      note: 'approved by critic',
    });
    await storage.teamRuns.update(alice, approved);
    const read = await storage.teamRuns.get(alice, 'r1');
    expect(read).toEqual(approved);
    expect(read).not.toHaveProperty('error');
  });

  it('refuses a taken id and reports an update of an unknown run', async () => {
    const { storage } = context;
    await storage.teamRuns.create(alice, run('r1'));
    const error = await storage.teamRuns.create(alice, run('r1', { team: 'other' })).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(MnemosError.isInstance(error) && error.code).toBe('already_exists');
    expect((await storage.teamRuns.get(alice, 'r1'))?.team).toBe('research');
    expect(await storage.teamRuns.update(alice, run('r2'))).toBe(false);
    expect(await storage.teamRuns.get(alice, 'r2')).toBeNull();
  });

  it('lists newest first, pages, filters by team', async () => {
    const { storage } = context;
    await storage.teamRuns.create(alice, run('old', { startedAt: iso(t0) }));
    await storage.teamRuns.create(alice, run('new', { startedAt: iso(t0 + 2_000) }));
    await storage.teamRuns.create(
      alice,
      run('mid', { team: 'review', startedAt: iso(t0 + 1_000) }),
    );
    const ids = async (page = { limit: 10, offset: 0 }, team?: string): Promise<string[]> =>
      (await storage.teamRuns.list(alice, page, team ? { team } : {})).map((entry) => entry.id);
    expect(await ids()).toEqual(['new', 'mid', 'old']);
    expect(await ids({ limit: 1, offset: 1 })).toEqual(['mid']);
    expect(await ids(undefined, 'research')).toEqual(['new', 'old']);
    expect((await storage.teamRuns.list(alice, { limit: 10, offset: 0 }))[0]).toEqual(
      run('new', { startedAt: iso(t0 + 2_000) }),
    );
  });

  it('keeps tenants apart: another tenant neither reads, lists nor updates a run', async () => {
    const { storage } = context;
    await storage.teamRuns.create(alice, run('r1'));
    await storage.teamRuns.create(bob, run('r1', { input: 'bob' }));
    expect((await storage.teamRuns.get(bob, 'r1'))?.input).toBe('bob');
    expect(await storage.teamRuns.get(aliceElsewhere, 'r1')).toBeNull();
    expect(await storage.teamRuns.list(aliceElsewhere, { limit: 10, offset: 0 })).toEqual([]);
    expect(await storage.teamRuns.update(aliceElsewhere, run('r1', finished))).toBe(false);
    expect(await storage.teamRuns.update(bob, run('r1', finished))).toBe(true);
    expect((await storage.teamRuns.get(alice, 'r1'))?.status).toBe('running');
  });

  it('fails runs left running that started before a time, in every tenant, and no others', async () => {
    const { storage } = context;
    await storage.teamRuns.create(alice, run('dead', { startedAt: iso(t0) }));
    await storage.teamRuns.create(bob, run('dead', { startedAt: iso(t0 + 10) }));
    await storage.teamRuns.create(alice, run('live', { startedAt: iso(t0 + 5_000) }));
    await storage.teamRuns.create(alice, run('done', { ...finished, startedAt: iso(t0) }));
    expect(await storage.teamRuns.failStale(t0 + 1_000, 'interrupted', t0 + 9_000)).toBe(2);
    for (const tenant of [alice, bob]) {
      expect(await storage.teamRuns.get(tenant, 'dead')).toMatchObject({
        status: 'failed',
        error: 'interrupted',
        finishedAt: iso(t0 + 9_000),
      });
    }
    expect((await storage.teamRuns.get(alice, 'live'))?.status).toBe('running');
    expect(await storage.teamRuns.get(alice, 'done')).toEqual(
      run('done', { ...finished, startedAt: iso(t0) }),
    );
    expect(await storage.teamRuns.failStale(t0 + 1_000, 'interrupted', t0 + 9_000)).toBe(0);
  });
});
