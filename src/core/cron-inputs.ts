import { z } from 'zod';

/** Job names: lowercase letters, digits, `_` and `-`, starting with a letter or digit. */
export const cronNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Longest prompt (or team input) a job may carry. */
export const cronPromptLimit = 16_000;

/** Most delivery targets of one job. */
export const cronMaxTargets = 16;

const skillNamePattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const definitionNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * A delivery target's shape: `log`, `file:<path>`, `webhook:http(s)://…`, a bare platform, `all`,
 * `route`, or `<platform>:<chat>[:<thread>]`. Whether anything can reach it is checked by the service.
 */
export const cronTargetSchema = z
  .string()
  .min(1)
  .max(512)
  .refine((target) => !/[\s\p{Cc}]/u.test(target), 'a target has no spaces or control characters')
  .refine(
    (target) =>
      target === 'log' ||
      /^file:.+$/.test(target) ||
      /^webhook:https?:\/\/[^/\s]+/.test(target) ||
      /^[a-z][a-z0-9_-]{0,31}(:[^:]+){0,2}$/.test(target),
    'targets are log, file:<path>, webhook:https://…, or a messaging target like telegram:<chat>',
  );

/** What a job does, as given. */
export const cronTaskSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('prompt'), prompt: z.string().min(1).max(cronPromptLimit) }).strict(),
  z
    .object({
      type: z.literal('skill'),
      skill: z.string().regex(skillNamePattern, 'not a skill name'),
      prompt: z.string().min(1).max(cronPromptLimit).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('team'),
      team: z.string().regex(definitionNamePattern, 'not a team name'),
      input: z.string().max(cronPromptLimit),
    })
    .strict(),
  z
    .object({
      type: z.literal('maintenance'),
      task: z.string().regex(definitionNamePattern, 'not a maintenance task name'),
    })
    .strict(),
]);

const jobFields = {
  schedule: z.string().min(1).max(200),
  /** IANA zone; checked with the schedule. */
  timezone: z.string().min(1).max(64).nullable().optional(),
  task: cronTaskSchema,
  agent: z.string().regex(definitionNamePattern, 'not an agent name').nullable().optional(),
  deliver: z.array(cronTargetSchema).max(cronMaxTargets).optional(),
  memory: z.boolean().optional(),
  /** Runs before the job stops; absent: once for one-shots, forever otherwise. */
  repeat: z.number().int().min(1).max(1_000_000).nullable().optional(),
  paused: z.boolean().optional(),
};

/** Input of `cron.add` (CLI, HTTP and the `cronjob` tool alike). */
export const createCronJobSchema = z
  .object({
    name: z
      .string()
      .regex(
        cronNamePattern,
        'names are 1-64 lowercase letters, digits, `_` or `-`, starting with a letter or digit',
      ),
    ...jobFields,
  })
  .strict();

/** Input of `cron.update`: any of the fields, at least one; the name is the job's key and stays. */
export const updateCronJobSchema = z
  .object({
    schedule: jobFields.schedule.optional(),
    timezone: jobFields.timezone,
    task: cronTaskSchema.optional(),
    agent: jobFields.agent,
    deliver: jobFields.deliver,
    memory: jobFields.memory,
    repeat: jobFields.repeat,
    paused: jobFields.paused,
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'give at least one field to change');

/** A validated `cron.add` input. */
export type CreateCronJobInput = z.infer<typeof createCronJobSchema>;
/** A validated `cron.update` input. */
export type UpdateCronJobInput = z.infer<typeof updateCronJobSchema>;
