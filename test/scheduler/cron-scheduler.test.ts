import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { CronScheduler } from '../../src/scheduler/cron-scheduler.js';
import type { Notifier } from '../../src/spec/notifier.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';
import { makeDue, sleep, startWebhookServer, type WebhookServer } from './cron-support.js';

const alice = { appId: 'app', tenantId: 'alice' };
const page = { limit: 50, offset: 0 };

let model: ModelServer;
let webhook: WebhookServer;

beforeAll(async () => {
  model = await startModelServer();
  webhook = await startWebhookServer();
});
afterAll(async () => {
  await model.close();
  await webhook.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
let scheduler: CronScheduler;
const logged: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];

async function open(config: Record<string, unknown> = {}): Promise<void> {
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      extractor: 'passthrough',
      llm: { base_url: model.url, model: 'chat-model', max_retries: 0 },
      agent: { toolsets: ['todo', 'memory'], web: { allow_hosts: ['127.0.0.1'] } },
      ...config,
    },
  });
  scheduler = new CronScheduler(mnemos, {
    tickMs: 100_000,
    log: (level, message, fields) => logged.push({ level, message, fields }),
  });
}

beforeEach(async () => {
  home = tempHome('mnemos-cron-');
  model.reset();
  webhook.bodies.length = 0;
  webhook.status = 204;
  logged.length = 0;
  await open();
});
afterEach(async () => {
  await scheduler.stop();
  await mnemos.close();
  home.remove();
});

/** Chat requests the model server got (not embeddings). */
function chats(): ChatRequest[] {
  return model.requestsTo('/v1/chat/completions').map((recorded) => recorded.body as ChatRequest);
}

async function runOnce(name: string) {
  await makeDue(mnemos, alice, name);
  const runs = await scheduler.runDue();
  expect(runs).toHaveLength(1);
  expect(runs[0]).toEqual(await mnemos.cron.run(alice, runs[0]!.id));
  return runs[0]!;
}

describe('cron scheduler', () => {
  it('runs a prompt job in a fresh session and delivers the wrapped reply to a file and a webhook', async () => {
    await mnemos.cron.add(alice, {
      name: 'news',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Summarise the news of the day.' },
      deliver: ['log', 'file:reports/news.md', `webhook:${webhook.url}`],
    });
    model.script({ text: 'Three things happened. 京都下雪了。' });
    const run = await runOnce('news');
    expect(run).toMatchObject({
      status: 'ok',
      output: 'Three things happened. 京都下雪了。',
      error: null,
      deliveries: [
        { target: 'log', ok: true },
        { target: 'file:reports/news.md', ok: true },
        { target: `webhook:${webhook.url}`, ok: true },
      ],
    });
    expect(
      chats()
        .at(-1)
        ?.messages?.some(
          (m) => m.role === 'user' && String(m.content).includes('Summarise the news'),
        ),
    ).toBe(true);
    const file = readFileSync(join(home.home, 'reports', 'news.md'), 'utf8');
    expect(file).toContain('## Cronjob Response: news');
    expect(file).toContain('京都下雪了');
    expect(webhook.bodies).toEqual([
      expect.objectContaining({
        job: expect.objectContaining({ name: 'news' }),
        status: 'ok',
        output: 'Three things happened. 京都下雪了。',
      }),
    ]);
    expect(logged.some((line) => line.message === 'cron run' && line.fields.job === 'news')).toBe(
      true,
    );
    // The run has its own session, named and tagged for the job.
    const session = await mnemos.sessions.get(alice, run.sessionId!);
    expect(session.title).toMatch(/^cron_news_\d{8}T\d{6}Z$/);
    expect(session.metadata).toMatchObject({ cron_job: 'news', cron_run: run.id });
    const job = await mnemos.cron.get(alice, 'news');
    expect(job).toMatchObject({ lastStatus: 'ok', lease: null, repeat: { completed: 1 } });
    expect(Date.parse(job.nextRunAt!)).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await mnemos.cron.history(alice, 'news', page)).map((r) => r.id)).toEqual([run.id]);
  });

  it('suppresses delivery of a [SILENT] reply, and records a failed webhook without failing the run', async () => {
    await mnemos.cron.add(alice, {
      name: 'quiet',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Anything new?' },
      deliver: ['file:quiet.md', `webhook:${webhook.url}`],
    });
    model.script({ text: 'Nothing new. [SILENT]' });
    expect(await runOnce('quiet')).toMatchObject({ status: 'silent', deliveries: [] });
    expect(existsSync(join(home.home, 'quiet.md'))).toBe(false);
    expect(webhook.bodies).toEqual([]);

    webhook.status = 500;
    model.script({ text: 'Something new.' });
    const run = await runOnce('quiet');
    expect(run.status).toBe('ok');
    expect(run.deliveries).toEqual([
      { target: 'file:quiet.md', ok: true },
      { target: `webhook:${webhook.url}`, ok: false, error: 'the webhook answered 500' },
    ]);
  });

  it('delivers a short error note when the run fails, and to the notifier for gateway targets', async () => {
    const notes: Array<{ target: string; title: string; text: string; urgent?: boolean }> = [];
    const notifier: Notifier = {
      accepts: (target) => target === 'telegram:42',
      deliver: async (target, notification) => {
        notes.push({ target, ...notification });
        return [{ target, ok: true }];
      },
    };
    scheduler.useNotifier(notifier);
    await mnemos.cron.add(alice, {
      name: 'broken',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Do the thing.' },
      deliver: ['file:broken.md', 'telegram:42'],
    });
    model.failNext(1, 500, { path: '/v1/chat/completions', error: 'the model is down' });
    const run = await runOnce('broken');
    expect(run.status).toBe('error');
    expect(run.error).toBeTruthy();
    expect(run.deliveries).toEqual([
      { target: 'file:broken.md', ok: true },
      { target: 'telegram:42', ok: true },
    ]);
    expect(readFileSync(join(home.home, 'broken.md'), 'utf8')).toContain('The job failed: ');
    expect(notes).toEqual([
      expect.objectContaining({
        target: 'telegram:42',
        title: 'Cronjob Response: broken',
        urgent: true,
      }),
    ]);
    expect(notes[0]?.text).toContain('The job failed: ');
  });

  it('leaves a job with chat targets to a replica running the gateway, warning once', async () => {
    await mnemos.cron.add(alice, {
      name: 'chatty',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Say hi.' },
      deliver: ['log', 'telegram:42'],
    });
    await makeDue(mnemos, alice, 'chatty');
    expect(await scheduler.runDue()).toEqual([]);
    expect(await scheduler.runDue()).toEqual([]);
    const warnings = logged.filter((line) => line.message.includes('left to a replica'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ job: 'chatty', targets: 'telegram:42' }),
      }),
    ]);
    expect(await mnemos.cron.history(alice, 'chatty', { limit: 10, offset: 0 })).toEqual([]);
    // The same process with the gateway's notifier runs it.
    scheduler.useNotifier({
      accepts: (target) => target === 'telegram:42',
      deliver: async (target) => [{ target, ok: true }],
    });
    const [run] = await scheduler.runDue();
    expect(run?.status).toBe('ok');
    expect(run?.deliveries).toEqual([
      { target: 'log', ok: true },
      { target: 'telegram:42', ok: true },
    ]);
  });

  it('records a clear error when no chat model is configured', async () => {
    await scheduler.stop();
    await mnemos.close();
    mnemos = await Mnemos.open({ home: home.home, config: { extractor: 'passthrough' } });
    scheduler = new CronScheduler(mnemos, { tickMs: 100_000 });
    await mnemos.cron.add(alice, {
      name: 'nomodel',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Hi' },
      deliver: ['file:nomodel.md'],
    });
    const run = await runOnce('nomodel');
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/chat model/);
    expect(readFileSync(join(home.home, 'nomodel.md'), 'utf8')).toMatch(
      /The job failed: .*chat model/,
    );
  });

  it('does not start a job twice while it still runs: the slots in between are skipped', async () => {
    await mnemos.cron.add(alice, {
      name: 'slow',
      schedule: 'every 1s',
      task: { type: 'prompt', prompt: 'Take your time.' },
    });
    model.delayNext(1, 1_500, { path: '/v1/chat/completions' });
    model.script({ text: 'done slowly' });
    await makeDue(mnemos, alice, 'slow');
    const first = await scheduler.tick();
    expect(first.map((run) => run.status)).toEqual(['running']);
    for (let step = 0; step < 3; step++) {
      await makeDue(mnemos, alice, 'slow');
      const again = await scheduler.tick();
      expect(again.map((run) => run.status)).toEqual(['skipped']);
    }
    await scheduler.idle();
    const runs = await mnemos.cron.history(alice, 'slow', page);
    expect(runs.map((run) => run.status).sort()).toEqual(['ok', 'skipped', 'skipped', 'skipped']);
    expect(chats()).toHaveLength(1);
    expect((await mnemos.cron.get(alice, 'slow')).repeat.completed).toBe(1);
  });

  it('stops a run at cron.timeout_ms and records why', async () => {
    scheduler = new CronScheduler(mnemos, { tickMs: 100_000, timeoutMs: 300 });
    await mnemos.cron.add(alice, {
      name: 'hang',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Hang.' },
    });
    model.delayNext(1, 5_000, { path: '/v1/chat/completions' });
    const run = await runOnce('hang');
    expect(run.status).toBe('error');
    expect(run.error).toContain('cron.timeout_ms');
  });

  it('runs a one-shot once and then leaves it done; repeat counts end a recurring job', async () => {
    await mnemos.cron.add(alice, {
      name: 'once',
      schedule: 'in 1h',
      task: { type: 'prompt', prompt: 'Remind me.' },
    });
    await mnemos.cron.add(alice, {
      name: 'twice',
      schedule: 'every 1h',
      repeat: 2,
      task: { type: 'prompt', prompt: 'Again.' },
    });
    await runOnce('once');
    expect(await mnemos.cron.get(alice, 'once')).toMatchObject({
      nextRunAt: null,
      repeat: { times: 1, completed: 1 },
    });
    expect(await scheduler.tick()).toEqual([]);
    await runOnce('twice');
    expect((await mnemos.cron.get(alice, 'twice')).nextRunAt).not.toBeNull();
    await runOnce('twice');
    expect(await mnemos.cron.get(alice, 'twice')).toMatchObject({
      nextRunAt: null,
      repeat: { times: 2, completed: 2 },
    });
  });

  it('keeps only cron.keep_runs runs per job', async () => {
    scheduler = new CronScheduler(mnemos, { tickMs: 100_000, keepRuns: 2 });
    await mnemos.cron.add(alice, {
      name: 'many',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Go.' },
    });
    for (let index = 0; index < 4; index++) await runOnce('many');
    expect(await mnemos.cron.history(alice, 'many', page)).toHaveLength(2);
  });

  it('runs built-in jobs as jobs of the default tenant, in history like any other', async () => {
    let calls = 0;
    scheduler = new CronScheduler(mnemos, {
      tickMs: 100_000,
      builtins: [
        { name: 'memory-cleanup', schedule: 'every 1d', run: async () => `cleaned ${++calls}` },
      ],
    });
    await scheduler.start();
    const owner = { appId: mnemos.config.app_id, tenantId: mnemos.config.tenant_id };
    const job = await mnemos.cron.get(owner, 'memory-cleanup');
    expect(job).toMatchObject({
      task: { type: 'maintenance', task: 'memory-cleanup' },
      deliver: ['log'],
    });
    await makeDue(mnemos, owner, 'memory-cleanup');
    await scheduler.tick();
    await scheduler.idle();
    expect(
      (await mnemos.cron.history(owner, 'memory-cleanup', page)).map((run) => [
        run.status,
        run.output,
      ]),
    ).toEqual([['ok', 'cleaned 1']]);
    // Starting again (another replica, a restart) does not add a second job.
    await scheduler.start();
    expect((await mnemos.cron.list(owner)).map((j) => j.name)).toEqual(['memory-cleanup']);
  });
});

describe('cron runs and memory', () => {
  it('write no long-term memory unless the job says memory: true', async () => {
    await mnemos.cron.add(alice, {
      name: 'forget',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'My favourite tea is 龙井.' },
    });
    model.script({ text: 'Noted that your favourite tea is 龙井.' });
    await runOnce('forget');
    await mnemos.drain();
    const count = async () =>
      Object.values((await mnemos.statistics()).memoriesByStore).reduce((a, b) => a + b, 0);
    expect(await count()).toBe(0);
    // No memory tool was offered to the run either.
    const tools = (chats().at(-1)?.tools ?? []) as Array<{ function?: { name?: string } }>;
    expect(tools.map((tool) => tool.function?.name)).not.toContain('memory');

    await mnemos.cron.add(alice, {
      name: 'remember',
      schedule: 'every 1h',
      memory: true,
      task: { type: 'prompt', prompt: 'My favourite tea is 龙井.' },
    });
    model.script({ text: 'Noted that your favourite tea is 龙井.' });
    await runOnce('remember');
    await mnemos.drain();
    await sleep(50);
    await mnemos.drain();
    expect(await count()).toBeGreaterThan(0);
  });
});

describe('cron tasks', () => {
  /** The system prompt of a chat request, as text. */
  const systemOf = (request: ChatRequest | undefined): string => {
    const first = request?.messages?.[0];
    return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
  };

  it('preloads the skill of a skill job', async () => {
    const dir = join(home.home, 'skills', 'weekly-report');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'SKILL.md'),
      '---\nname: weekly-report\ndescription: Write the weekly report. Use when asked for it.\n---\n\n# Weekly report\n\nCount the 橘子 in the warehouse first.\n',
    );
    await mnemos.cron.add(alice, {
      name: 'report',
      schedule: 'every 1d',
      task: { type: 'skill', skill: 'weekly-report' },
    });
    model.script({ text: 'Report written.' });
    const run = await runOnce('report');
    expect(run).toMatchObject({ status: 'ok', output: 'Report written.' });
    expect(systemOf(chats().at(-1))).toContain('Count the 橘子 in the warehouse first.');
  });

  it('runs a team job through mnemos.teams and stores the team run', async () => {
    mkdirSync(join(home.home, 'teams'), { recursive: true });
    writeFileSync(
      join(home.home, 'teams', 'duo.yaml'),
      'flow: planner -> writer\nagents:\n  - role: planner\n    system_prompt: You plan.\n  - role: writer\n    system_prompt: You write.\n',
    );
    await mnemos.cron.add(alice, {
      name: 'duo-job',
      schedule: 'every 1d',
      task: { type: 'team', team: 'duo', input: 'topic: tea' },
    });
    model.script({ text: 'the plan' }, { text: 'the article' });
    const run = await runOnce('duo-job');
    expect(run).toMatchObject({ status: 'ok', output: 'the article' });
    const teamRuns = await mnemos.teams.runs(alice, page);
    expect(teamRuns.map((teamRun) => [teamRun.team, teamRun.status])).toEqual([
      ['duo', 'succeeded'],
    ]);
  });

  it('fails a job naming an agent that does not exist, saying so', async () => {
    await mnemos.cron.add(alice, {
      name: 'ghostly',
      schedule: 'every 1d',
      agent: 'ghost',
      task: { type: 'prompt', prompt: 'Boo.' },
    });
    const run = await runOnce('ghostly');
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/no agent named ghost/);
  });

  it('runNow makes a job due for the next tick, and is refused while it runs', async () => {
    await mnemos.cron.add(alice, {
      name: 'later',
      schedule: 'every 1d',
      task: { type: 'prompt', prompt: 'Now please.' },
    });
    expect(await scheduler.tick()).toEqual([]);
    await mnemos.cron.runNow(alice, 'later');
    model.delayNext(1, 500, { path: '/v1/chat/completions' });
    const started = await scheduler.tick();
    expect(started.map((run) => run.status)).toEqual(['running']);
    const refused = await mnemos.cron.runNow(alice, 'later').then(
      () => null,
      (error: { code?: string }) => error.code,
    );
    expect(refused).toBe('conflict');
    await scheduler.idle();
    expect((await mnemos.cron.history(alice, 'later', page)).map((run) => run.status)).toEqual([
      'ok',
    ]);
  });

  it('takes over a run whose worker died: it fails with lease expired and the job runs again', async () => {
    const job = await mnemos.cron.add(alice, {
      name: 'orphan',
      schedule: 'in 1h',
      task: { type: 'prompt', prompt: 'Finish me.' },
    });
    const now = Date.now();
    // Another process claimed the slot and died: its lease ran out a moment ago.
    await mnemos.storage.cron.claim(alice, {
      jobId: job.id,
      expectedNextRunAt: Date.parse(job.nextRunAt!),
      nextRunAt: null,
      worker: 'elsewhere:1:dead',
      leaseUntil: now - 1,
      now: now - 10_000,
      runId: 'dead-run',
    });
    model.script({ text: 'finished at last' });
    const started = await scheduler.tick();
    await scheduler.idle();
    expect(started.map((run) => run.status)).toEqual(['running']);
    expect(await mnemos.cron.run(alice, 'dead-run')).toMatchObject({
      status: 'error',
      error: 'lease expired',
    });
    expect(await mnemos.cron.run(alice, started[0]!.id)).toMatchObject({
      status: 'ok',
      output: 'finished at last',
    });
    expect(logged.some((line) => line.message === 'cron run lease expired')).toBe(true);
  });
});

describe('cron surfaces', () => {
  const toolNames = (request: ChatRequest | undefined): string[] =>
    ((request?.tools ?? []) as Array<{ function?: { name?: string } }>).map(
      (tool) => tool.function?.name ?? '',
    );

  it('runs a job with the tools of the surface it came from, in its own tenant', async () => {
    await scheduler.stop();
    await mnemos.close();
    await open({ agent: { toolsets: ['todo', 'file'], web: { allow_hosts: ['127.0.0.1'] } } });
    await mnemos.cron.add(alice, {
      name: 'local-job',
      schedule: 'every 1d',
      task: { type: 'prompt', prompt: 'Look around.' },
    });
    await mnemos.cron.add(
      alice,
      { name: 'http-job', schedule: 'every 1d', task: { type: 'prompt', prompt: 'Look around.' } },
      { origin: 'http' },
    );
    model.script({ text: 'looked locally' });
    const local = await runOnce('local-job');
    expect(toolNames(chats().at(-1))).toContain('read_file');
    model.script({ text: 'looked over http' });
    const remote = await runOnce('http-job');
    expect(remote.output).toBe('looked over http');
    expect(toolNames(chats().at(-1))).not.toContain('read_file');
    expect(toolNames(chats().at(-1))).toContain('todo');
    // Each run's session is the job's tenant's, and no one else's.
    await mnemos.sessions.get(alice, local.sessionId!);
    const other = await mnemos.sessions
      .get({ appId: 'app', tenantId: 'bob' }, remote.sessionId!)
      .then(
        () => 'found',
        (error: { code?: string }) => error.code,
      );
    expect(other).toBe('not_found');
  });
});
