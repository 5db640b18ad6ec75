import type { CronRunRecord } from '../../core/cron-record.js';
import { MnemosError } from '../../core/errors.js';
import type { TenantKey } from '../../core/scope.js';
import type { Mnemos } from '../../mnemos.js';
import type { CronRunner, CronRunStarted } from '../../spec/cron-runner.js';

/** The parts of the scheduler `mnemos cron run|tick` use; `runNow` only where it has one. */
interface SchedulerShape {
  tick(): Promise<CronRunRecord[]>;
  idle(): Promise<void>;
  stop(): Promise<void>;
  runNow?(tenant: TenantKey, nameOrId: string): Promise<CronRunStarted>;
}

// A variable, so a build without the scheduler module still compiles; the CLI then says so.
const schedulerModule: string = '../../scheduler/cron-scheduler.js';

/**
 * The cron scheduler of this process for `mnemos cron run` and `tick` (no gateway: messaging
 * targets are not delivered), with a function that stops it; `config_error` when this build has none.
 */
export async function localCronRunner(
  mnemos: Mnemos,
): Promise<{ runner: CronRunner; stop: () => Promise<void> }> {
  let scheduler: SchedulerShape;
  try {
    const module = (await import(schedulerModule)) as {
      CronScheduler: new (mnemos: Mnemos, options: object) => SchedulerShape;
    };
    scheduler = new module.CronScheduler(mnemos, {});
  } catch (error) {
    throw new MnemosError('config_error', 'this build of Mnemos has no cron scheduler', {
      details: { cause: (error as Error).message },
    });
  }
  const runner: CronRunner = {
    runNow: (tenant, nameOrId) => {
      if (!scheduler.runNow) {
        throw new MnemosError(
          'config_error',
          'the cron scheduler of this build cannot run a job on demand; `mnemos cron tick` runs due jobs',
        );
      }
      return scheduler.runNow(tenant, nameOrId);
    },
    tickOnce: async () => {
      const runs = await scheduler.tick();
      await scheduler.idle();
      return runs;
    },
  };
  return { runner, stop: () => scheduler.stop() };
}
