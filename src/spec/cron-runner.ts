import type { CronRunRecord } from '../core/cron-record.js';
import type { TenantKey } from '../core/scope.js';

/** A run started outside its schedule: its `running` record now, the finished one when it ends. */
export interface CronRunStarted {
  run: CronRunRecord;
  finished: Promise<CronRunRecord>;
}

/**
 * What the surfaces (CLI, HTTP, the `cronjob` tool) need of the cron scheduler to run jobs on
 * demand; the scheduler implements it, the surfaces are handed one.
 */
export interface CronRunner {
  /** Starts one job now, whatever its schedule; `conflict` when it is already running. */
  runNow(tenant: TenantKey, nameOrId: string): Promise<CronRunStarted>;
  /** One pass over due jobs of every tenant; resolves when the runs it started have finished. */
  tickOnce(): Promise<CronRunRecord[]>;
}
