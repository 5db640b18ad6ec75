import { Command } from 'commander';
import type { CronJobRecord, CronRunRecord, CronTask } from '../../core/cron-record.js';
import { MnemosError } from '../../core/errors.js';
import type { Mnemos } from '../../mnemos.js';
import { integer } from '../support/arguments.js';
import { globals, tenantFlags, tenantOwner, withMnemos } from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';

interface TenantOptions {
  app?: string;
  tenant?: string;
}

interface AddOptions extends TenantOptions {
  name?: string;
  skill?: string;
  team?: string;
  agent?: string;
  deliver?: string[];
  tz?: string;
  repeat?: number;
  paused?: boolean;
  memory?: boolean;
}

/** `mnemos cron …`: scheduled jobs of a tenant, their runs, and running them from system cron. */
export function cronCommand(): Command {
  const cron = new Command('cron').description(
    'scheduled jobs: add, list, show, rm, pause, resume, run, history, tick',
  );

  tenantFlags(cron.command('add'))
    .description('schedule a prompt (or a skill or team with --skill/--team)')
    .argument('<schedule>', '`in 30m`, `every 2h`, `0 9 * * 1-5`, `@daily` or an ISO time')
    .argument('<prompt>', 'what the agent is asked each run (the input of a team)')
    .option('--name <name>', 'job name (default: from the prompt)')
    .option('--skill <name>', 'run this skill, the prompt as its input')
    .option('--team <name>', 'run this team, the prompt as its input')
    .option('--agent <name>', 'agent definition the prompt runs with')
    .option(
      '--deliver <targets>',
      'where output goes: log, file:<path>, webhook:<url>, …',
      commaList,
    )
    .option('--tz <zone>', 'IANA time zone of cron expressions and ISO times (default UTC)')
    .option(
      '--repeat <n>',
      'runs before the job stops (default: once for one-shots, else forever)',
      integer,
    )
    .option('--paused', 'create it paused')
    .option('--memory', 'let its runs write long-term memory')
    .action(async (schedule: string, prompt: string, options: AddOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const job = await mnemos.cron.add(
          tenantOwner(mnemos, options),
          {
            name: options.name ?? nameFrom(prompt),
            schedule,
            task: taskOf(prompt, options),
            ...(options.agent !== undefined ? { agent: options.agent } : {}),
            ...(options.deliver !== undefined ? { deliver: options.deliver } : {}),
            ...(options.tz !== undefined ? { timezone: options.tz } : {}),
            ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
            ...(options.paused ? { paused: true } : {}),
            ...(options.memory ? { memory: true } : {}),
          },
          { origin: 'local' },
        );
        if (globals(command).json) return printJson({ job });
        process.stdout.write(
          `added cron job ${job.name} (${job.id}): ${job.paused ? 'paused' : `next run ${job.nextRunAt ?? 'never'}`}\n`,
        );
      });
    });

  tenantFlags(cron.command('list'))
    .description("the tenant's jobs by name")
    .action(async (options: TenantOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const jobs = await mnemos.cron.list(tenantOwner(mnemos, options));
        if (globals(command).json) return printJson({ jobs, count: jobs.length });
        printTable(
          ['name', 'schedule', 'next run', 'last', 'task'],
          jobs.map((job) => [
            job.name,
            job.schedule,
            job.paused ? 'paused' : (job.nextRunAt ?? 'never'),
            job.lastStatus ?? '',
            clip(taskText(job.task), 40),
          ]),
          'no cron jobs yet: mnemos cron add "every 1d" "…"',
        );
      });
    });

  tenantFlags(cron.command('show'))
    .description('one job: schedule, task, delivery, last run')
    .argument('<name>')
    .action(async (name: string, options: TenantOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const job = await mnemos.cron.get(tenantOwner(mnemos, options), name);
        if (globals(command).json) return printJson({ job });
        process.stdout.write(describeJob(job));
      });
    });

  for (const [verb, description] of [
    ['rm', 'delete a job and its runs'],
    ['pause', 'stop a job from running until resumed'],
    ['resume', 'let a paused job run again from its next slot'],
  ] as const) {
    tenantFlags(cron.command(verb))
      .description(description)
      .argument('<name>')
      .action(async (name: string, options: TenantOptions, command: Command) => {
        await withMnemos(command, async (mnemos) => {
          const tenant = tenantOwner(mnemos, options);
          const job =
            verb === 'rm'
              ? await mnemos.cron.remove(tenant, name)
              : await mnemos.cron[verb](tenant, name);
          if (globals(command).json)
            return printJson(verb === 'rm' ? { deleted: job.name } : { job });
          const done = { rm: 'deleted', pause: 'paused', resume: 'resumed' }[verb];
          const next = verb === 'resume' ? `, next run ${job.nextRunAt ?? 'never'}` : '';
          process.stdout.write(`${done} cron job ${job.name}${next}\n`);
        });
      });
  }

  tenantFlags(cron.command('run'))
    .description(
      'run a job now and print the outcome: here, or (chat targets) by the process running the gateway',
    )
    .argument('<name>')
    .option('--wait <seconds>', 'how long to wait for another process to run it', integer, 120)
    .action(async (name: string, options: TenantOptions & { wait: number }, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const tenant = tenantOwner(mnemos, options);
        const due = await mnemos.cron.runNow(tenant, name);
        const mine = (await tickOnce(mnemos)).find(
          (run) => run.jobId === due.id && run.status !== 'skipped',
        );
        if (mine) return printRun(mine, command);
        // Chat targets are reached only where the gateway runs (or another replica took the slot):
        // wait for that process to run it and show its outcome.
        process.stderr.write(
          `${due.name} is due now; waiting for the process that runs it (mnemos gateway run, or serve with gateway.enabled)…\n`,
        );
        const since = Date.parse(due.nextRunAt ?? new Date().toISOString());
        const deadline = Date.now() + options.wait * 1000;
        while (Date.now() < deadline) {
          const [latest] = await mnemos.cron.history(tenant, due.name, { limit: 1, offset: 0 });
          if (
            latest &&
            Date.parse(latest.startedAt) >= since &&
            latest.status !== 'running' &&
            latest.status !== 'skipped'
          ) {
            return printRun(latest, command);
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        throw new MnemosError(
          'conflict',
          `cron job ${due.name} is due, but no process ran it within ${options.wait}s: is mnemos gateway run (or serve) running on this home? see mnemos cron history ${due.name}`,
        );
      });
    });

  tenantFlags(cron.command('history'))
    .description("a job's runs, newest first")
    .argument('<name>')
    .option('-n, --limit <n>', 'how many', integer, 20)
    .action(async (name: string, options: TenantOptions & { limit: number }, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const runs = await mnemos.cron.history(tenantOwner(mnemos, options), name, {
          limit: options.limit,
          offset: 0,
        });
        if (globals(command).json) return printJson({ runs, count: runs.length });
        printTable(
          ['id', 'status', 'started', 'finished', 'output'],
          runs.map((run) => [
            run.id,
            run.status,
            run.startedAt,
            run.finishedAt ?? '',
            clip(run.error ?? run.output, 50),
          ]),
          `no runs of ${name} yet`,
        );
      });
    });

  cron
    .command('tick')
    .description('run every due job of every tenant once and wait for them (for system cron)')
    .action(async (_options: unknown, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const runs = await tickOnce(mnemos);
        if (runs.some((run) => run.status === 'error')) process.exitCode = 1;
        if (globals(command).json) return printJson({ runs, count: runs.length });
        if (runs.length === 0) process.stdout.write('no cron job was due\n');
        for (const run of runs)
          process.stdout.write(
            `${run.jobName} (${run.tenantId}): ${run.status}${run.error ? `: ${run.error}` : ''}\n`,
          );
      });
    });
  return cron;
}

/** Splits `--deliver a,b` (and repeated flags) into targets. */
function commaList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((target) => target.trim())
      .filter(Boolean),
  ];
}

/** A job name from the first words of a prompt (`Summarise my inbox` → `summarise-my-inbox`). */
function nameFrom(prompt: string): string {
  const slug = prompt
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'job' : slug;
}

function taskOf(prompt: string, options: AddOptions): CronTask {
  if (options.skill !== undefined) return { type: 'skill', skill: options.skill, prompt };
  if (options.team !== undefined) return { type: 'team', team: options.team, input: prompt };
  return { type: 'prompt', prompt };
}

function taskText(task: CronTask): string {
  if (task.type === 'prompt') return task.prompt;
  if (task.type === 'skill') return `skill ${task.skill}${task.prompt ? `: ${task.prompt}` : ''}`;
  if (task.type === 'team') return `team ${task.team}: ${task.input}`;
  return `maintenance ${task.task}`;
}

function describeJob(job: CronJobRecord): string {
  const repeat = job.repeat.times === null ? 'forever' : `${job.repeat.times} times`;
  const lines = [
    `${job.name} (${job.id}), created from ${job.origin} at ${job.createdAt}`,
    `schedule: ${job.schedule}${job.timezone ? ` (${job.timezone})` : ''}, ${repeat}, ${job.repeat.completed} done`,
    `next run: ${job.paused ? 'paused' : (job.nextRunAt ?? 'never')}`,
    `task: ${taskText(job.task)}`,
    `agent: ${job.agent ?? '(configured)'}, memory writes: ${job.memory ? 'yes' : 'no'}`,
    `deliver: ${job.deliver.length > 0 ? job.deliver.join(', ') : '(nowhere)'}`,
    `last run: ${job.lastRunAt ?? 'never'}${job.lastStatus ? ` ${job.lastStatus}` : ''}${job.lastError ? `: ${job.lastError}` : ''}`,
  ];
  if (job.lease) lines.push(`running: ${job.lease.runId} on ${job.lease.worker}`);
  return `${lines.join('\n')}\n`;
}

function printRun(run: CronRunRecord, command: Command): void {
  if (run.status === 'error') process.exitCode = 1;
  if (globals(command).json) {
    printJson({ run });
    return;
  }
  process.stderr.write(
    `run ${run.id} of ${run.jobName}: ${run.status}${run.error ? `: ${run.error}` : ''}\n`,
  );
  if (run.output !== '') process.stdout.write(run.output.replace(/\n?$/, '\n'));
}

/**
 * One scheduler pass in this process (no gateway: messaging targets are not delivered), waiting for
 * the runs it started; returns them as stored when they finished.
 */
async function tickOnce(mnemos: Mnemos): Promise<CronRunRecord[]> {
  const { CronScheduler } = await import('../../scheduler/cron-scheduler.js');
  const { maintenanceJobs } = await import('../../scheduler/maintenance-tasks.js');
  const scheduler = new CronScheduler(mnemos, {
    builtins: maintenanceJobs(mnemos, mnemos.config.maintenance),
    // The `log` target and the scheduler's warnings: JSON lines on stderr, as a server logs them.
    log: (level, message, fields) => {
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`,
      );
    },
  });
  try {
    return await scheduler.runDue();
  } finally {
    await scheduler.stop();
  }
}
