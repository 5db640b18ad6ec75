import { randomUUID } from 'node:crypto';
import { createAgent } from '../../src/agent/create-agent.js';
import type { CronRunRecord } from '../../src/core/cron-record.js';
import { MnemosError } from '../../src/core/errors.js';
import type { Mnemos } from '../../src/mnemos.js';
import type { CronRunner } from '../../src/spec/cron-runner.js';

/**
 * A run-on-demand for the surface tests, until the scheduler is wired in: claims the job through
 * its storage role (the job keeps its slot), runs its prompt in a fresh session of the configured
 * agent on the job's surface, and finishes the run. No delivery.
 */
export function testCronRunner(mnemos: Mnemos): CronRunner {
  const worker = `test:${process.pid}`;
  return {
    async runNow(tenant, nameOrId) {
      const job = await mnemos.cron.get(tenant, nameOrId);
      if (job.lease) throw new MnemosError('conflict', `cron job ${job.name} is already running`);
      const slot = job.nextRunAt ? Date.parse(job.nextRunAt) : Date.now();
      const now = Date.now();
      const run = await mnemos.storage.cron.claim(tenant, {
        jobId: job.id,
        expectedNextRunAt: slot,
        nextRunAt: job.nextRunAt ? slot : null,
        worker,
        leaseUntil: now + 60_000,
        now,
        runId: randomUUID(),
      });
      if (!run) throw new MnemosError('conflict', `cron job ${job.name} is already running`);
      const finished = (async (): Promise<CronRunRecord> => {
        const agent = createAgent({
          mnemos,
          appId: tenant.appId,
          userId: tenant.tenantId,
          surface: job.origin,
          memory: false,
        });
        try {
          const prompt = job.task.type === 'prompt' ? job.task.prompt : JSON.stringify(job.task);
          const done = await agent.turn(prompt);
          const failed = done.reason === 'failed';
          const record = await mnemos.storage.cron.finish(tenant, {
            jobId: job.id,
            runId: run.id,
            worker,
            status: failed ? 'error' : 'ok',
            output: done.text,
            error: done.error ?? null,
            deliveries: [],
            sessionId: done.sessionId,
            now: Date.now(),
          });
          return record ?? run;
        } finally {
          await agent.close();
        }
      })();
      return { run, finished };
    },
    tickOnce: async () => [],
  };
}
