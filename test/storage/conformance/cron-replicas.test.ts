import { describe, expect } from 'vitest';
import { CronScheduler } from '../../../src/scheduler/cron-scheduler.js';
import { sleep } from '../../scheduler/cron-support.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';

describe.each(backends)('cron replicas on $name', (backend) => {
  const { it, context } = conformance(backend, 'cron replicas');

  it('two engines ticking one every-second job run each slot once', async () => {
    const first = await context.engine();
    const second = await context.anotherEngine();
    const calls: string[] = [];
    const builtin = (replica: string) => ({
      name: 'heartbeat',
      schedule: '* * * * * *',
      run: async () => {
        calls.push(replica);
        await sleep(150);
        return `beat from ${replica}`;
      },
    });
    const schedulers = [
      new CronScheduler(first, { tickMs: 200, builtins: [builtin('a')] }),
      new CronScheduler(second, { tickMs: 200, builtins: [builtin('b')] }),
    ];
    // Both start at once: the built-in job is stored once, whichever replica wins.
    await Promise.all(schedulers.map((scheduler) => scheduler.start()));
    await sleep(3_600);
    await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
    const owner = { appId: first.config.app_id, tenantId: first.config.tenant_id };
    expect((await first.cron.list(owner)).map((job) => job.name)).toEqual(['heartbeat']);
    const runs = (await first.cron.history(owner, 'heartbeat', { limit: 100, offset: 0 })).filter(
      (run) => run.status !== 'skipped',
    );
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const slots = runs.map((run) => run.scheduledFor);
    expect(new Set(slots).size).toBe(slots.length);
    // Every call is one recorded run: no slot ran on both replicas.
    expect(calls.length).toBe(runs.length);
    expect(runs.every((run) => run.status === 'ok' || run.error === 'the scheduler stopped')).toBe(
      true,
    );
  }, 20_000);
});
