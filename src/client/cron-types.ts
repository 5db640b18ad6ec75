import type {
  CronOrigin,
  CronRunRecord,
  CronRunStatus,
  CronScheduleKind,
  CronTask,
} from '../core/cron-record.js';

/** A cron job as the API shows it (`running`: a run is in progress). */
export interface CronJob {
  id: string;
  name: string;
  schedule: string;
  scheduleKind: CronScheduleKind;
  timezone: string | null;
  task: CronTask;
  agent: string | null;
  deliver: string[];
  memory: boolean;
  origin: CronOrigin;
  repeat: { times: number | null; completed: number };
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastStatus: CronRunStatus | null;
  lastError: string | null;
  running: boolean;
  createdAt: string;
  updatedAt: string;
}

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
