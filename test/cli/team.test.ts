import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamRunRecord } from '../../src/core/team-run-record.js';
import { cliFor, makeHome, removeHomes } from '../support/cli.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { lastUser, member, roleOf, writeTeam } from '../teams/team-support.js';

let server: ModelServer;
let home: string;
let cli: ReturnType<typeof cliFor>;

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request: ChatRequest) => {
      const role = roleOf(request);
      if (role === 'planner') return { text: 'PLAN: three temples' };
      if (role === 'writer')
        return {
          text: `REPORT from ${lastUser(request).includes('PLAN: three temples') ? 'the plan' : 'nothing'}`,
        };
      if (role === 'looper') return { toolCalls: [{ name: 'todo', arguments: { todos: [] } }] };
      return { text: 'ok' };
    },
  });
  home = makeHome();
  writeFileSync(
    join(home, 'config.yaml'),
    `extractor: passthrough\nllm:\n  base_url: ${server.url}\n  model: chat-model\n  max_retries: 0\nagent:\n  toolsets: [todo]\n`,
  );
  writeTeam(home, 'research', {
    description: 'Plans, then writes',
    agents: [member('planner'), member('writer')],
    flow: 'planner -> writer',
  });
  writeTeam(home, 'runaway', { agents: [member('looper')], limits: { max_turns: 2 } });
  cli = cliFor(home);
});
afterAll(async () => {
  removeHomes();
  await server.close();
});

describe('mnemos team', () => {
  it('lists, shows and validates team files, a broken one with its error', async () => {
    writeFileSync(join(home, 'teams', 'broken.yaml'), 'agents: [{role: a}]\nflow: a -> b\n');
    try {
      const list = await cli(['--json', 'team', 'list']);
      expect(list.code).toBe(0);
      const teams = list.json<{ teams: Array<Record<string, unknown>> }>().teams;
      expect(teams.map((team) => team.name)).toEqual(['broken', 'research', 'runaway']);
      expect(teams[0]?.error).toBe(
        "teams/broken.yaml: flow: column 6: unknown role 'b' (members: a)",
      );
      expect(teams[1]).toMatchObject({ members: ['planner', 'writer'], flow: 'planner -> writer' });
      const show = await cli(['team', 'show', 'research']);
      expect(show.stdout).toContain('flow: planner -> writer');
      expect(show.stdout).toContain('limits: 40 model steps');
      const validate = await cli(['team', 'validate']);
      expect(validate.code).toBe(1);
      expect(validate.stdout).toContain("flow: column 6: unknown role 'b'");
      expect(validate.stdout).toMatch(/research\.yaml: valid/);
      const one = await cli(['--json', 'team', 'validate', join(home, 'teams', 'research.yaml')]);
      expect(one.code).toBe(0);
      expect(one.json<{ valid: boolean }>().valid).toBe(true);
      const missing = await cli(['--json', 'team', 'show', 'nope']);
      expect(missing.code).toBe(2);
      expect(missing.errorJson().error.message).toMatch(
        /^no team named nope .*known: broken, research, runaway/,
      );
    } finally {
      writeFileSync(join(home, 'teams', 'broken.yaml'), 'agents: [{role: a}]\n');
    }
  });

  it('runs a team: progress on stderr, the result on stdout, the run stored', async () => {
    const run = await cli(['team', 'run', 'research', '--input', 'Kyoto temples']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('REPORT from the plan\n');
    expect(run.stderr).toMatch(/\[planner\] started/);
    expect(run.stderr).toMatch(/\[planner\] done in \d+\.\d s: \d+ tokens, 1 model step/);
    expect(run.stderr).toMatch(/\[writer\] done/);
    expect(run.stderr).toMatch(/run succeeded/);
    const runs = await cli(['--json', 'team', 'runs']);
    const stored = runs.json<{ runs: TeamRunRecord[] }>().runs;
    expect(stored.map((entry) => [entry.team, entry.status, entry.output])).toEqual([
      ['research', 'succeeded', 'REPORT from the plan'],
    ]);
    const shown = await cli(['--json', 'team', 'run-show', stored[0]?.id as string]);
    expect(shown.json<{ run: TeamRunRecord }>().run.steps.map((step) => step.output)).toEqual([
      'PLAN: three temples',
      'REPORT from the plan',
    ]);
    const other = await cli([
      '--json',
      'team',
      'run-show',
      stored[0]?.id as string,
      '--tenant',
      'bob',
    ]);
    expect(other.code).toBe(2);
    expect(other.errorJson().error.code).toBe('not_found');
  });

  it('exits 1 when a limit stops the run', async () => {
    const run = await cli(['--json', 'team', 'run', 'runaway', '--input', 'loop']);
    expect(run.code).toBe(1);
    const record = run.json<{ run: TeamRunRecord }>().run;
    expect(record.status).toBe('stopped');
    expect(record.error).toMatch(/^max_turns/);
    expect(run.stderr).toMatch(/\[looper\] tool todo/);
  });
});
