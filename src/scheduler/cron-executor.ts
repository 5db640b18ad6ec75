import { createAgent, definitionOptions } from '../agent/create-agent.js';
import { teamAgentFactory } from '../agent/team-agents.js';
import { tenantNotesDir } from '../agent/tools/tenant-workspace.js';
import type { CronJobRecord, CronRunRecord } from '../core/cron-record.js';
import { MnemosError } from '../core/errors.js';
import type { Mnemos } from '../mnemos.js';

/** A built-in job (a maintenance task): its name, schedule and what it does; returns its report. */
export interface CronBuiltin {
  name: string;
  schedule: string;
  run(signal: AbortSignal): Promise<string>;
}

/** What a run produced before delivery: its reply (or report), its error, its session. */
export interface CronOutcome {
  ok: boolean;
  output: string;
  error: string | null;
  sessionId: string | null;
}

/** Toolsets an agent inside a cron run does not get unless `cron.allow_agent_scheduling`. */
export const cronToolsets = ['cron'];

/** How jobs are carried out: the engine, the built-in tasks, and whether runs may schedule jobs. */
export interface CronExecutorOptions {
  builtins: ReadonlyMap<string, CronBuiltin>;
  allowAgentScheduling: boolean;
  log?: (level: 'warn' | 'debug', message: string) => void;
}

/**
 * Runs one job: a prompt or skill in a fresh session of the job's agent on the job's surface (no
 * long-term memory writes unless `job.memory`), a team through `mnemos.teams`, or a built-in task.
 * Never throws: a failure (no model, an unknown agent, a timeout) is the outcome's error.
 */
export async function executeCronJob(
  mnemos: Mnemos,
  job: CronJobRecord,
  run: CronRunRecord,
  signal: AbortSignal,
  options: CronExecutorOptions,
): Promise<CronOutcome> {
  try {
    const outcome = await carryOut(mnemos, job, run, signal, options);
    if (signal.aborted) return { ...outcome, ok: false, error: abortReason(signal) };
    return outcome;
  } catch (error) {
    const message = signal.aborted ? abortReason(signal) : messageOf(error);
    return { ok: false, output: '', error: message, sessionId: null };
  }
}

async function carryOut(
  mnemos: Mnemos,
  job: CronJobRecord,
  run: CronRunRecord,
  signal: AbortSignal,
  options: CronExecutorOptions,
): Promise<CronOutcome> {
  const task = job.task;
  const tenant = { appId: job.appId, tenantId: job.tenantId };
  if (task.type === 'maintenance') {
    const builtin = options.builtins.get(task.task);
    if (!builtin) {
      throw new MnemosError('not_found', `task: no built-in task named ${task.task}`);
    }
    return { ok: true, output: await builtin.run(signal), error: null, sessionId: null };
  }
  if (task.type === 'team') {
    const record = await mnemos.teams.run(tenant, task.team, task.input, {
      agents: teamAgentFactory(mnemos, {
        appId: job.appId,
        userId: job.tenantId,
        surface: job.origin,
        ...(options.log ? { log: options.log } : {}),
      }),
      signal,
    });
    const ok = record.status === 'succeeded';
    return {
      ok,
      output: record.output,
      error: ok ? null : (record.error ?? `team run ${record.status}`),
      sessionId: null,
    };
  }
  const record = job.agent ? await mnemos.agents.forTenant(tenant).require(job.agent) : null;
  const agent = createAgent({
    mnemos,
    appId: job.appId,
    userId: job.tenantId,
    surface: job.origin,
    platform: 'cron',
    ...(record ? definitionOptions(record) : {}),
    ...(job.origin === 'local'
      ? {}
      : { notesDir: tenantNotesDir(mnemos.home, job.appId, job.tenantId) }),
    // `cron` context: providers that write (turn sync, notes, remote services) hold back as well.
    ...(job.memory ? {} : { memory: 'read' as const, agentContext: 'cron' as const }),
    ...(options.allowAgentScheduling ? {} : { withoutToolsets: cronToolsets }),
    ...(task.type === 'skill' ? { preloadSkills: [task.skill] } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    const stamp = run.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const session = await agent.newSession(`cron_${job.name}_${stamp}`, {
      metadata: { cron_job: job.name, cron_run: run.id },
    });
    const prompt =
      task.type === 'skill'
        ? (task.prompt ?? `Carry out the ${task.skill} skill now and report the result.`)
        : task.prompt;
    const done = await agent.turn(prompt, { signal });
    const failed =
      done.reason === 'failed' || done.reason === 'cancelled' || done.reason === 'quota_exceeded';
    return {
      ok: !failed,
      output: done.text,
      error: failed ? (done.error ?? `the turn ended: ${done.reason}`) : null,
      sessionId: session.id,
    };
  } finally {
    await agent.close();
  }
}

function abortReason(signal: AbortSignal): string {
  return signal.reason === undefined ? 'stopped' : messageOf(signal.reason);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
