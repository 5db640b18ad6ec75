import type { CronJobRecord, CronRunRecord, CronTask } from '../core/cron-record.js';

/** A cron job as the API shows it: no app, tenant or lease; `running` while a run is in progress. */
export type CronJob = Omit<CronJobRecord, 'appId' | 'tenantId' | 'lease'> & { running: boolean };

/** One run of a cron job as the API shows it. */
export type CronRun = Omit<CronRunRecord, 'appId' | 'tenantId' | 'worker'>;

/** Fields of a job as given to `cron.create` (see docs/cron.md). */
export interface CronJobInput {
  name: string;
  schedule: string;
  task: Exclude<CronTask, { type: 'maintenance' }>;
  timezone?: string | null;
  agent?: string | null;
  deliver?: string[];
  memory?: boolean;
  repeat?: number | null;
  paused?: boolean;
}
