/** How a schedule repeats: once at a time, every fixed interval, or by a cron expression. */
export type CronScheduleKind = 'once' | 'interval' | 'cron';

/** What a cron job does when it runs. */
export type CronTask =
  | { type: 'prompt'; prompt: string }
  | { type: 'skill'; skill: string; prompt?: string }
  | { type: 'team'; team: string; input: string }
  | { type: 'maintenance'; task: string };

/** The surface a job's agent runs with: `local` (trusted), `http` or `gateway` (untrusted). */
export type CronOrigin = 'local' | 'http' | 'gateway';

/** How a run ended: `silent` succeeded with delivery suppressed, `skipped` did not start (overrun). */
export type CronRunStatus = 'running' | 'ok' | 'error' | 'silent' | 'skipped';

/** The claim of a job's current run: which run, which worker, until when (ISO). */
export interface CronLease {
  runId: string;
  worker: string;
  until: string;
}

/** A scheduled job of one (app, tenant), as stored. */
export interface CronJobRecord {
  /** 12 hex digits. */
  id: string;
  appId: string;
  tenantId: string;
  /** Unique per tenant: `^[a-z0-9][a-z0-9_-]{0,63}$`. */
  name: string;
  /** The schedule as given (`every 2h`, `0 9 * * 1-5`, `in 30m`, an ISO time). */
  schedule: string;
  scheduleKind: CronScheduleKind;
  /** IANA zone cron expressions and local ISO times are read in; null: UTC. */
  timezone: string | null;
  task: CronTask;
  /** The agent definition a prompt or skill runs with; null: the configured agent. */
  agent: string | null;
  /** Delivery targets (`log`, `file:<path>`, `webhook:<url>`, gateway targets). */
  deliver: string[];
  /** Whether runs write long-term memory. */
  memory: boolean;
  origin: CronOrigin;
  /** `times` null: forever. `completed` counts finished runs (skipped ones excluded). */
  repeat: { times: number | null; completed: number };
  paused: boolean;
  /** Next slot (ISO), or null when the job will not run again. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastStatus: CronRunStatus | null;
  lastError: string | null;
  /** The run in progress, if any. */
  lease: CronLease | null;
  createdAt: string;
  updatedAt: string;
}

/** What became of a run's output on one target (the shape of the notifier's outcomes). */
export interface CronDelivery {
  target: string;
  ok: boolean;
  error?: string;
}

/** One run of a cron job (or one skipped slot). */
export interface CronRunRecord {
  id: string;
  jobId: string;
  jobName: string;
  appId: string;
  tenantId: string;
  status: CronRunStatus;
  /** The slot this run is for (ISO). */
  scheduledFor: string;
  startedAt: string;
  finishedAt: string | null;
  /** The reply (capped at {@link cronOutputLimit} characters). */
  output: string;
  error: string | null;
  deliveries: CronDelivery[];
  sessionId: string | null;
  /** The worker (`host:pid:nonce`) that ran it. */
  worker: string;
}

/** Characters of a run's output kept. */
export const cronOutputLimit = 64 * 1024;

/** Output cut to {@link cronOutputLimit}, marking the cut. */
export function capCronOutput(output: string): string {
  if (output.length <= cronOutputLimit) return output;
  return `${output.slice(0, cronOutputLimit - 20)}\n… [output truncated]`;
}
