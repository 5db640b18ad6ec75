import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CronJobRecord, CronRunRecord } from '../../src/core/cron-record.js';
import { cliFor, makeHome, removeHomes } from '../support/cli.js';
import { startModelServer } from '../support/model-server.js';

let cli: ReturnType<typeof cliFor>;

beforeAll(() => {
  cli = cliFor(makeHome());
});
afterAll(removeHomes);

describe('mnemos cron', () => {
  it('adds a job from the CLI with origin local, lists it as JSON and shows it', async () => {
    const added = await cli([
      '--json',
      'cron',
      'add',
      'every 2h',
      'Summarise what changed in my notes',
      '--deliver',
      'log,file:/tmp/digest.md',
      '--tz',
      'Europe/Berlin',
      '--repeat',
      '3',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const { job } = added.json<{ job: CronJobRecord }>();
    expect(job).toMatchObject({
      name: 'summarise-what-changed-in-my-notes',
      origin: 'local',
      scheduleKind: 'interval',
      timezone: 'Europe/Berlin',
      deliver: ['log', 'file:/tmp/digest.md'],
      repeat: { times: 3, completed: 0 },
      task: { type: 'prompt', prompt: 'Summarise what changed in my notes' },
      paused: false,
    });
    expect(job.nextRunAt).not.toBeNull();

    const list = await cli(['--json', 'cron', 'list']);
    expect(list.code).toBe(0);
    expect(list.json<{ jobs: CronJobRecord[] }>().jobs.map((each) => each.name)).toEqual([
      'summarise-what-changed-in-my-notes',
    ]);

    const team = await cli([
      '--json',
      'cron',
      'add',
      '@weekly',
      'Weekly report',
      '--team',
      'research',
      '--agent',
      'writer',
    ]);
    expect(team.json<{ job: CronJobRecord }>().job).toMatchObject({
      name: 'weekly-report',
      agent: 'writer',
      task: { type: 'team', team: 'research', input: 'Weekly report' },
    });
    await cli(['cron', 'rm', 'weekly-report']);

    const shown = await cli(['cron', 'show', 'summarise-what-changed-in-my-notes']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('schedule: every 2h (Europe/Berlin), 3 times, 0 done');
    expect(shown.stdout).toContain('deliver: log, file:/tmp/digest.md');
  });

  it('pauses, resumes and removes a job by name; another tenant never sees it', async () => {
    const added = await cli([
      '--json',
      'cron',
      'add',
      '0 9 * * 1-5',
      'Standup notes',
      '--name',
      'standup',
      '--paused',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json<{ job: CronJobRecord }>().job.paused).toBe(true);

    const resumed = await cli(['--json', 'cron', 'resume', 'standup']);
    expect(resumed.json<{ job: CronJobRecord }>().job.paused).toBe(false);
    const paused = await cli(['cron', 'pause', 'standup']);
    expect(paused.stdout).toBe('paused cron job standup\n');
    const list = await cli(['cron', 'list']);
    expect(list.stdout).toMatch(/standup.*paused/);

    const elsewhere = await cli(['--json', 'cron', 'show', 'standup', '--tenant', 'someone-else']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.errorJson().error.code).toBe('not_found');

    const removed = await cli(['--json', 'cron', 'rm', 'standup']);
    expect(removed.json()).toEqual({ deleted: 'standup' });
    const gone = await cli(['--json', 'cron', 'show', 'standup']);
    expect(gone.errorJson().error.code).toBe('not_found');
  });

  it('refuses a bad schedule with an example and stores nothing', async () => {
    const bad = await cli(['cron', 'add', 'every blue moon', 'Howl', '--name', 'howl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('schedule:');
    expect(bad.stderr).toContain('every 2h');
    const json = await cli(['--json', 'cron', 'add', 'tomorrow-ish', 'Howl', '--name', 'howl']);
    expect(json.errorJson().error).toMatchObject({ code: 'invalid_input' });
    const list = await cli(['--json', 'cron', 'list']);
    expect(list.json<{ jobs: CronJobRecord[] }>().jobs.some((job) => job.name === 'howl')).toBe(
      false,
    );
  });

  it('shows an empty history of a job that has not run', async () => {
    await cli(['cron', 'add', 'in 1h', 'Remind me to stretch', '--name', 'stretch']);
    const history = await cli(['--json', 'cron', 'history', 'stretch', '--limit', '5']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.json<{ runs: CronRunRecord[] }>()).toEqual({ runs: [], count: 0 });
    const missing = await cli(['--json', 'cron', 'history', 'nope']);
    expect(missing.errorJson().error.code).toBe('not_found');
  });

  it('runs a job now with the scripted model and shows it in history', async () => {
    const model = await startModelServer({ defaultReply: { text: 'STRETCH NOW' } });
    const home = makeHome();
    writeFileSync(
      join(home, 'config.yaml'),
      `extractor: passthrough\nllm:\n  base_url: ${model.url}\n  model: chat-model\n  max_retries: 0\n`,
    );
    const local = cliFor(home);
    try {
      await local(['cron', 'add', 'every 1d', 'Remind me to stretch', '--name', 'stretch']);
      const ran = await local(['--json', 'cron', 'run', 'stretch']);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.json<{ run: CronRunRecord }>().run).toMatchObject({
        status: 'ok',
        output: 'STRETCH NOW',
      });
      const history = await local(['--json', 'cron', 'history', 'stretch']);
      expect(history.json<{ runs: CronRunRecord[] }>().runs.map((run) => run.output)).toEqual([
        'STRETCH NOW',
      ]);
    } finally {
      await model.close();
    }
  });
});
