import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';

// Team modules (yaml, zod) load when a command runs, so `--help` stays light.
const teamModules = async () => ({
  ...(await import('../../teams/home-teams.js')),
  ...(await import('../../teams/team-flow.js')),
});

import type { TeamRunRecord } from '../../core/team-run-record.js';
import type { TeamFile } from '../../teams/team-file.js';
import type { TeamEvent } from '../../teams/team-runner.js';
import { integer } from '../support/arguments.js';
import { globals, homeOf, tenantFlags, tenantOwner, withMnemos } from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';

interface TenantOptions {
  app?: string;
  tenant?: string;
}

/** `mnemos team …`: teams of agents (`<home>/teams/*.yaml`), their runs and stored results. */
export function teamCommand(): Command {
  const team = new Command('team').description(
    'teams of agents: list, show, validate, run, runs, run-show',
  );

  team
    .command('list')
    .description(
      'teams of the home: name, description, members, flow (broken files with their error)',
    )
    .action(async (_options: unknown, command: Command) => {
      const { homeTeams, teamsDir, flowText } = await teamModules();
      const entries = homeTeams(homeOf(command));
      if (globals(command).json) {
        return printJson({
          teams: entries.map((entry) =>
            entry.team
              ? { name: entry.name, path: entry.path, ...summary(entry.team, flowText) }
              : { name: entry.name, path: entry.path, error: entry.error },
          ),
          count: entries.length,
        });
      }
      printTable(
        ['name', 'description', 'members', 'flow'],
        entries.map((entry) =>
          entry.team
            ? [
                entry.name,
                clip(entry.team.definition.description, 50),
                entry.team.definition.agents.map((member) => member.role).join(', '),
                flowText(entry.team.flow),
              ]
            : [entry.name, `broken: ${clip(entry.error, 80)}`, '', ''],
        ),
        `no teams yet: write ${teamsDir(homeOf(command))}/NAME.yaml (see docs/teams.md)`,
      );
    });

  team
    .command('show')
    .description('a team: members, flow, critic and limits')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { requireHomeTeam, flowText } = await teamModules();
      const found = requireHomeTeam(homeOf(command), name);
      if (globals(command).json)
        return printJson({ team: found.definition, flow: flowText(found.flow), path: found.path });
      const { definition } = found;
      const lines = [
        `${definition.name}: ${definition.description || '(no description)'}`,
        `file: ${found.path}`,
        `flow: ${flowText(found.flow)}`,
        'members:',
        ...definition.agents.map(
          (member) =>
            `  ${member.role}${member.agent ? ` (agent ${member.agent})` : ''}${member.description ? `: ${clip(member.description, 70)}` : ''}`,
        ),
      ];
      if (definition.critic) {
        const critic = definition.critic;
        lines.push(
          `critic: ${critic.role} reviews ${critic.reviews}, approves with ${critic.approve_marker}, at most ${critic.max_rounds} rounds`,
        );
      }
      const limits = definition.limits;
      lines.push(
        `limits: ${limits.max_turns} model steps, ${limits.max_tokens} tokens, run ${limits.timeout_ms} ms, step ${limits.step_timeout_ms} ms, ${limits.max_parallel} in parallel`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  team
    .command('validate')
    .description('check team files (default: every file of <home>/teams); exit 1 on errors')
    .argument('[path]', 'a team file or a folder of them')
    .action(async (path: string | undefined, _options: unknown, command: Command) => {
      const { teamsDir } = await teamModules();
      const { readTeamFile } = await import('../../teams/team-file.js');
      const files = teamFilesAt(path === undefined ? teamsDir(homeOf(command)) : resolve(path));
      const results = files.map((file) => {
        try {
          readTeamFile(file);
          return { path: file, valid: true };
        } catch (error) {
          return { path: file, valid: false, error: (error as Error).message };
        }
      });
      const valid = results.every((result) => result.valid);
      if (!valid) process.exitCode = 1;
      if (globals(command).json) return printJson({ valid, teams: results });
      if (results.length === 0) process.stdout.write('no team files found\n');
      for (const result of results)
        process.stdout.write(result.valid ? `${result.path}: valid\n` : `${result.error}\n`);
    });

  tenantFlags(team.command('run'))
    .description('run a team on an input: progress on stderr, the result on stdout')
    .argument('<name>')
    .requiredOption('-i, --input <text>', 'the task for the team')
    .action(async (name: string, options: TenantOptions & { input: string }, command: Command) => {
      const json = globals(command).json ?? false;
      await withMnemos(command, async (mnemos) => {
        const { teamAgentFactory } = await import('../../agent/team-agents.js');
        const scope = tenantOwner(mnemos, options);
        const controller = new AbortController();
        const cancel = (): void => controller.abort();
        process.once('SIGINT', cancel);
        const progress = progressPrinter();
        try {
          const run = await mnemos.teams.run(scope, name, options.input, {
            agents: teamAgentFactory(mnemos, { appId: scope.appId, userId: scope.tenantId }),
            signal: controller.signal,
            onEvent: ({ event }) => progress(event),
          });
          if (run.status !== 'succeeded') process.exitCode = 1;
          if (json) return printJson({ run });
          if (run.output !== '') process.stdout.write(`${run.output.replace(/\n?$/, '\n')}`);
        } finally {
          process.removeListener('SIGINT', cancel);
        }
      });
    });

  tenantFlags(team.command('runs'))
    .description('stored runs of teams, newest first')
    .option('--team <name>', 'only runs of this team')
    .option('-n, --limit <n>', 'how many', integer, 20)
    .action(async (options: TenantOptions & { team?: string; limit: number }, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const runs = await mnemos.teams.runs(tenantOwner(mnemos, options), {
          limit: options.limit,
          ...(options.team !== undefined ? { team: options.team } : {}),
        });
        if (globals(command).json) return printJson({ runs, count: runs.length });
        printTable(
          ['id', 'team', 'status', 'started', 'tokens', 'input'],
          runs.map((run) => [
            run.id,
            run.team,
            run.status,
            run.startedAt,
            run.usage.inputTokens + run.usage.outputTokens,
            clip(run.input, 40),
          ]),
          'no team runs yet: mnemos team run NAME --input TEXT',
        );
      });
    });

  tenantFlags(team.command('run-show'))
    .description('one stored run: its steps, their outputs, and the result')
    .argument('<id>')
    .action(async (id: string, options: TenantOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const run = await mnemos.teams.getRun(tenantOwner(mnemos, options), id);
        if (globals(command).json) return printJson({ run });
        process.stdout.write(describeRun(run));
      });
    });
  return team;
}

function summary(
  team: TeamFile,
  flowText: (flow: TeamFile['flow']) => string,
): Record<string, unknown> {
  return {
    description: team.definition.description,
    members: team.definition.agents.map((member) => member.role),
    flow: flowText(team.flow),
    ...(team.definition.critic ? { critic: team.definition.critic.role } : {}),
  };
}

/** Team files at a path: the file itself, or the `.yaml`/`.yml` files of a folder. */
function teamFilesAt(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => join(path, file));
}

/** Prints one line per step start and end (tokens, time) on stderr. */
function progressPrinter(): (event: TeamEvent) => void {
  const started = new Map<string, number>();
  const runStart = Date.now();
  const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
  return (event) => {
    const write = (line: string): void => {
      process.stderr.write(`${line}\n`);
    };
    if (event.type === 'run_start') write(`team ${event.team}: run ${event.runId}`);
    else if (event.type === 'step_start') {
      started.set(`${event.role}#${event.round}`, Date.now());
      write(`[${event.role}] started${event.round > 1 ? ` (round ${event.round})` : ''}`);
    } else if (event.type === 'tool_call') write(`[${event.role}] tool ${event.name}`);
    else if (event.type === 'step_done') {
      const since = started.get(`${event.role}#${event.round}`) ?? runStart;
      write(
        `[${event.role}] done in ${seconds(since)}: ${event.usage.inputTokens + event.usage.outputTokens} tokens, ${event.steps} model step${event.steps === 1 ? '' : 's'}`,
      );
    } else if (event.type === 'step_failed') write(`[${event.role}] failed: ${event.error}`);
    else if (event.type === 'done') {
      const tokens = event.usage.inputTokens + event.usage.outputTokens;
      write(
        `run ${event.status} in ${seconds(runStart)}, ${tokens} tokens${event.reason ? `: ${event.reason}` : ''}`,
      );
    }
  };
}

function describeRun(run: TeamRunRecord): string {
  const lines = [
    `run ${run.id} of team ${run.team}: ${run.status}${run.error ? ` (${run.error})` : ''}${run.note ? ` (${run.note})` : ''}`,
    `started ${run.startedAt}, finished ${run.finishedAt ?? 'not yet'}, ${run.usage.inputTokens} input + ${run.usage.outputTokens} output tokens`,
    `input: ${run.input}`,
  ];
  for (const step of run.steps) {
    lines.push(
      `--- ${step.role}${step.round > 1 ? ` round ${step.round}` : ''}: ${step.status}, ${step.steps} model steps, ${step.usage.inputTokens + step.usage.outputTokens} tokens${step.error ? `: ${step.error}` : ''}`,
    );
    if (step.output) lines.push(step.output);
  }
  lines.push('--- result', run.output);
  return `${lines.join('\n')}\n`;
}
