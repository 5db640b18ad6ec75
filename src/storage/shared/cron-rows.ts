import type {
  CronDelivery,
  CronJobRecord,
  CronOrigin,
  CronRunRecord,
  CronRunStatus,
  CronScheduleKind,
  CronTask,
} from '../../core/cron-record.js';
import { MnemosError } from '../../core/errors.js';

type Num = number | string;

/** A `cron_jobs` row: task and targets as JSON text, flags as 0/1, times as epoch ms. */
export interface CronJobRow {
  app_id: string;
  tenant_id: string;
  id: string;
  name: string;
  schedule: string;
  schedule_kind: string;
  timezone: string | null;
  task: string;
  agent: string | null;
  deliver: string;
  memory: Num;
  origin: string;
  repeat_times: Num | null;
  repeat_completed: Num;
  paused: Num;
  next_run_at: Num | null;
  last_run_at: Num | null;
  last_status: string | null;
  last_error: string | null;
  lease_run: string | null;
  lease_owner: string | null;
  lease_until: Num | null;
  created_at: Num;
  updated_at: Num;
}

/** Every column of a job row, in {@link CronJobRow} order. */
export const cronJobColumns =
  'app_id, tenant_id, id, name, schedule, schedule_kind, timezone, task, agent, deliver, memory, origin, repeat_times, repeat_completed, paused, next_run_at, last_run_at, last_status, last_error, lease_run, lease_owner, lease_until, created_at, updated_at';

/** A `cron_runs` row: deliveries as JSON text, times as epoch ms. */
export interface CronRunRow {
  app_id: string;
  tenant_id: string;
  id: string;
  job_id: string;
  job_name: string;
  status: string;
  scheduled_for: Num;
  started_at: Num;
  finished_at: Num | null;
  output: string;
  error: string | null;
  deliveries: string;
  session_id: string | null;
  worker: string;
}

/** Every column of a run row, in {@link CronRunRow} order. */
export const cronRunColumns =
  'app_id, tenant_id, id, job_id, job_name, status, scheduled_for, started_at, finished_at, output, error, deliveries, session_id, worker';

/** The row values of a job, in {@link cronJobColumns} order. */
export function cronJobValues(job: CronJobRecord): Array<string | number | null> {
  return [
    job.appId,
    job.tenantId,
    job.id,
    job.name,
    job.schedule,
    job.scheduleKind,
    job.timezone,
    JSON.stringify(job.task),
    job.agent,
    JSON.stringify(job.deliver),
    job.memory ? 1 : 0,
    job.origin,
    job.repeat.times,
    job.repeat.completed,
    job.paused ? 1 : 0,
    epochOrNull(job.nextRunAt, 'nextRunAt'),
    epochOrNull(job.lastRunAt, 'lastRunAt'),
    job.lastStatus,
    job.lastError,
    job.lease?.runId ?? null,
    job.lease?.worker ?? null,
    job.lease ? epoch(job.lease.until, 'lease.until') : null,
    epoch(job.createdAt, 'createdAt'),
    epoch(job.updatedAt, 'updatedAt'),
  ];
}

/** A job row as the record. */
export function cronJobFromRow(row: CronJobRow): CronJobRecord {
  return {
    id: row.id,
    appId: row.app_id,
    tenantId: row.tenant_id,
    name: row.name,
    schedule: row.schedule,
    scheduleKind: row.schedule_kind as CronScheduleKind,
    timezone: row.timezone,
    task: JSON.parse(row.task) as CronTask,
    agent: row.agent,
    deliver: JSON.parse(row.deliver) as string[],
    memory: Number(row.memory) === 1,
    origin: row.origin as CronOrigin,
    repeat: {
      times: row.repeat_times === null ? null : Number(row.repeat_times),
      completed: Number(row.repeat_completed),
    },
    paused: Number(row.paused) === 1,
    nextRunAt: isoOrNull(row.next_run_at),
    lastRunAt: isoOrNull(row.last_run_at),
    lastStatus: row.last_status as CronRunStatus | null,
    lastError: row.last_error,
    lease:
      row.lease_run !== null && row.lease_owner !== null && row.lease_until !== null
        ? { runId: row.lease_run, worker: row.lease_owner, until: iso(row.lease_until) }
        : null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The row values of a run, in {@link cronRunColumns} order. */
export function cronRunValues(run: CronRunRecord): Array<string | number | null> {
  return [
    run.appId,
    run.tenantId,
    run.id,
    run.jobId,
    run.jobName,
    run.status,
    epoch(run.scheduledFor, 'scheduledFor'),
    epoch(run.startedAt, 'startedAt'),
    epochOrNull(run.finishedAt, 'finishedAt'),
    run.output,
    run.error,
    JSON.stringify(run.deliveries),
    run.sessionId,
    run.worker,
  ];
}

/** A run row as the record. */
export function cronRunFromRow(row: CronRunRow): CronRunRecord {
  return {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    appId: row.app_id,
    tenantId: row.tenant_id,
    status: row.status as CronRunStatus,
    scheduledFor: iso(row.scheduled_for),
    startedAt: iso(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
    output: row.output,
    error: row.error,
    deliveries: JSON.parse(row.deliveries) as CronDelivery[],
    sessionId: row.session_id,
    worker: row.worker,
  };
}

/** The run a claim creates: `running` (or `skipped`, finished at once), no output yet. */
export function claimedRun(
  job: CronJobRecord,
  claim: { runId: string; worker: string; now: number; expectedNextRunAt: number },
  status: 'running' | 'skipped',
): CronRunRecord {
  return {
    id: claim.runId,
    jobId: job.id,
    jobName: job.name,
    appId: job.appId,
    tenantId: job.tenantId,
    status,
    scheduledFor: iso(claim.expectedNextRunAt),
    startedAt: iso(claim.now),
    finishedAt: status === 'skipped' ? iso(claim.now) : null,
    output: '',
    error: status === 'skipped' ? 'the previous run was still running' : null,
    deliveries: [],
    sessionId: null,
    worker: claim.worker,
  };
}

/** The `conflict` of a second job of one name in a tenant. */
export function cronNameTaken(name: string): MnemosError {
  return new MnemosError('conflict', `name: a cron job named ${name} already exists`, {
    details: { name },
  });
}

/** Why a lease-expired run failed. */
export const leaseExpired = 'lease expired';

function iso(ms: Num): string {
  return new Date(Number(ms)).toISOString();
}

function isoOrNull(ms: Num | null): string | null {
  return ms === null ? null : iso(ms);
}

function epoch(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new MnemosError('invalid_input', `cron ${field}: '${value}' is not an ISO time`);
  return ms;
}

function epochOrNull(value: string | null, field: string): number | null {
  return value === null ? null : epoch(value, field);
}
