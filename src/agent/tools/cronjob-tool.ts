import { z } from 'zod';
import type { CronJobRecord, CronOrigin, CronTask } from '../../core/cron-record.js';
import { MnemosError } from '../../core/errors.js';
import type { TenantKey } from '../../core/scope.js';
import type { CronService } from '../../cron/cron-service.js';
import type { AgentTool } from './tool.js';

const actions = ['create', 'list', 'update', 'pause', 'resume', 'run', 'remove'] as const;

const schema = z
  .object({
    action: z.enum(actions),
    name: z
      .string()
      .max(64)
      .optional()
      .describe('the job (every action but list); lowercase letters, digits, - and _'),
    schedule: z
      .string()
      .max(200)
      .optional()
      .describe('`in 30m` (once), `every 2h`, `0 9 * * 1-5`, `@daily` or an ISO time'),
    prompt: z
      .string()
      .max(16_000)
      .optional()
      .describe('what the agent is asked each run: self-contained, it sees no chat history'),
    skill: z.string().max(64).optional().describe('run this skill (the prompt as its input)'),
    deliver: z
      .array(z.string())
      .max(16)
      .optional()
      .describe('where each run\'s reply goes, e.g. ["log"] or ["telegram:<chat>"]'),
    timezone: z.string().max(64).optional().describe('IANA zone of the schedule, default UTC'),
    repeat: z.number().int().min(1).optional().describe('runs before the job stops'),
  })
  .strict();

type Args = z.infer<typeof schema>;

/** Where the `cronjob` tool acts: the agent's tenant and the surface it was asked on. */
export interface CronjobToolOptions {
  tenant: () => TenantKey;
  origin: CronOrigin;
}

/**
 * The `cronjob` tool (toolset `cron`): the agent schedules, lists, changes, pauses, resumes, runs
 * and removes jobs of its own tenant, created with the surface it runs on as their origin.
 */
export function cronjobTool(cron: CronService, options: CronjobToolOptions): AgentTool<Args> {
  const caller = { origin: options.origin };
  return {
    name: 'cronjob',
    toolset: 'cron',
    description:
      'Schedule prompts to run later or repeatedly (reminders, digests, checks). action=create needs name, schedule and prompt (or skill); list shows the jobs; update changes schedule/prompt/deliver/timezone/repeat; pause, resume, run (now, in the background) and remove take the name. Each run is a fresh session: write prompts that stand alone.',
    schema,
    async execute(args) {
      const tenant = options.tenant();
      if (args.action === 'list') {
        const jobs = await cron.list(tenant);
        return { jobs: jobs.map(brief), count: jobs.length };
      }
      const name = required(args.name, 'name', args.action);
      switch (args.action) {
        case 'create': {
          const job = await cron.add(
            tenant,
            {
              name,
              schedule: required(args.schedule, 'schedule', 'create'),
              task: taskOf(args),
              ...fieldsOf(args),
            },
            caller,
          );
          return { created: brief(job) };
        }
        case 'update': {
          const changes: Record<string, unknown> = { ...fieldsOf(args) };
          if (args.schedule !== undefined) changes.schedule = args.schedule;
          if (args.prompt !== undefined || args.skill !== undefined) {
            changes.task = taskOf(args, (await cron.get(tenant, name)).task);
          }
          return { updated: brief(await cron.update(tenant, name, changes, caller)) };
        }
        case 'pause':
          return { paused: brief(await cron.pause(tenant, name, caller)) };
        case 'resume':
          return { resumed: brief(await cron.resume(tenant, name, caller)) };
        case 'remove':
          return { removed: (await cron.remove(tenant, name, caller)).name };
        case 'run': {
          const job = await cron.runNow(tenant, name, caller);
          return {
            queued: brief(job),
            note: "it runs at the scheduler's next tick, in the background; its reply goes to the job's targets",
          };
        }
      }
    },
  };
}

function required(value: string | undefined, field: string, action: string): string {
  if (value === undefined || value.trim() === '') {
    throw new MnemosError('invalid_input', `${field}: action ${action} needs a ${field}`);
  }
  return value;
}

/** The task the arguments give; a new prompt alone keeps the skill or team of the `current` task. */
function taskOf(args: Args, current?: CronTask): CronTask {
  if (args.skill === undefined && args.prompt !== undefined) {
    if (current?.type === 'skill') return { ...current, prompt: args.prompt };
    if (current?.type === 'team') return { ...current, input: args.prompt };
  }
  if (args.skill !== undefined) {
    return { type: 'skill', skill: args.skill, ...(args.prompt ? { prompt: args.prompt } : {}) };
  }
  return { type: 'prompt', prompt: required(args.prompt, 'prompt', args.action) };
}

function fieldsOf(args: Args): Record<string, unknown> {
  return {
    ...(args.deliver !== undefined ? { deliver: args.deliver } : {}),
    ...(args.timezone !== undefined ? { timezone: args.timezone } : {}),
    ...(args.repeat !== undefined ? { repeat: args.repeat } : {}),
  };
}

/** A job in a few fields, for the model. */
function brief(job: CronJobRecord): Record<string, unknown> {
  return {
    name: job.name,
    schedule: job.schedule,
    next: job.paused ? 'paused' : job.nextRunAt,
    task: job.task.type === 'prompt' ? job.task.prompt.slice(0, 200) : job.task,
    deliver: job.deliver,
    ...(job.lastStatus ? { last: job.lastStatus } : {}),
    ...(job.lastError ? { lastError: job.lastError.slice(0, 200) } : {}),
  };
}
