import { z } from '@hono/zod-openapi';
import type { CronJobRecord, CronRunRecord } from '../core/cron-record.js';

/** `{name}` of the cron routes: a job's name (or its id). */
export const CronNameParam = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'morning-digest' }),
});

/** `{id}` of a cron run. */
export const CronRunIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const TaskSchema = z
  .union([
    z.object({ type: z.literal('prompt'), prompt: z.string() }),
    z.object({ type: z.literal('skill'), skill: z.string(), prompt: z.string().optional() }),
    z.object({ type: z.literal('team'), team: z.string(), input: z.string() }),
  ])
  .openapi('CronTask', {
    description:
      'What each run does: a prompt to the agent, a skill, or a team (maintenance tasks are local only)',
    example: { type: 'prompt', prompt: 'Summarise what changed in my notes today' },
  });

const fields = {
  schedule: z.string().openapi({
    description:
      '`in 30m` and ISO times run once; `every 2h`, cron expressions (`0 9 * * 1-5`) and `@daily` repeat',
    example: 'every 1d',
  }),
  timezone: z
    .string()
    .nullable()
    .optional()
    .openapi({ description: 'IANA zone; null or absent: UTC', example: 'Europe/Berlin' }),
  task: TaskSchema,
  agent: z
    .string()
    .nullable()
    .optional()
    .openapi({ description: 'Agent definition a prompt or skill runs with' }),
  deliver: z
    .array(z.string())
    .optional()
    .openapi({
      description:
        'Targets of the output: `log`, `webhook:https://…`, or gateway targets like `telegram:<chat>`; `file:` targets are refused over HTTP',
      example: ['log'],
    }),
  memory: z.boolean().optional().openapi({
    description: 'Whether runs write long-term memory (default: config `cron.memory_writes`)',
  }),
  repeat: z
    .number()
    .int()
    .nullable()
    .optional()
    .openapi({ description: 'Runs before the job stops; null: forever' }),
  paused: z.boolean().optional(),
};

/** Body of `POST /v1/cron` (checked fully by the service; unknown fields are refused). */
export const CronJobCreateSchema = z
  .object({ name: z.string().openapi({ example: 'morning-digest' }), ...fields })
  .passthrough()
  .openapi('CronJobInput');

/** Body of `PATCH /v1/cron/{name}`: any fields, at least one. */
export const CronJobUpdateSchema = z
  .object({
    schedule: fields.schedule.optional(),
    timezone: fields.timezone,
    task: TaskSchema.optional(),
    agent: fields.agent,
    deliver: fields.deliver,
    memory: fields.memory,
    repeat: fields.repeat,
    paused: fields.paused,
  })
  .passthrough()
  .openapi('CronJobUpdate');

const statusSchema = z.enum(['running', 'ok', 'error', 'silent', 'skipped']);

/** A job as the API shows it (the stored record without its app and tenant). */
export const CronJobSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    schedule: z.string(),
    scheduleKind: z.enum(['once', 'interval', 'cron']),
    timezone: z.string().nullable(),
    task: z.record(z.string(), z.unknown()).openapi({ description: 'See CronTask' }),
    agent: z.string().nullable(),
    deliver: z.array(z.string()),
    memory: z.boolean(),
    origin: z.enum(['local', 'http', 'gateway']),
    repeat: z.object({ times: z.number().nullable(), completed: z.number() }),
    paused: z.boolean(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    lastStatus: statusSchema.nullable(),
    lastError: z.string().nullable(),
    running: z.boolean().openapi({ description: 'Whether a run is in progress' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('CronJob');

/** One run of a job. */
export const CronRunSchema = z
  .object({
    id: z.string(),
    jobId: z.string(),
    jobName: z.string(),
    status: statusSchema.openapi({
      description:
        '`silent`: succeeded, delivery suppressed; `skipped`: the previous run was still going',
    }),
    scheduledFor: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    output: z.string(),
    error: z.string().nullable(),
    deliveries: z.array(
      z.object({ target: z.string(), ok: z.boolean(), error: z.string().optional() }),
    ),
    sessionId: z.string().nullable(),
  })
  .openapi('CronRun');

/** A job for the API: no app, tenant or lease internals. */
export function cronJobJson(job: CronJobRecord): z.infer<typeof CronJobSchema> {
  const { appId: _app, tenantId: _tenant, lease, ...rest } = job;
  return { ...rest, running: lease !== null };
}

/** A run for the API: no app, tenant or worker. */
export function cronRunJson(run: CronRunRecord): z.infer<typeof CronRunSchema> {
  const { appId: _app, tenantId: _tenant, worker: _worker, ...rest } = run;
  return rest;
}
