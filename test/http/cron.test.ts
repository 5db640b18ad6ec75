import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CronJob, CronRun } from '../../src/client/index.js';
import { MnemosClient } from '../../src/client/index.js';
import { jsonLogger } from '../../src/http/logger.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { Mnemos } from '../../src/mnemos.js';
import { CronScheduler } from '../../src/scheduler/cron-scheduler.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { baseConfig, call, expectError } from './helpers.js';

/**
 * `/v1/cron` on the untrusted `http` surface: each tenant key sees and changes only its own jobs,
 * bad input is refused whole before anything is stored, `file:` targets are refused, and a job run
 * on demand shows in its history.
 */

let model: ModelServer;
let home: string;
let mnemos: Mnemos;
let server: RunningServer;
let url: string;
let scheduler: CronScheduler;
const keys = { alice: '', bob: '' };

const digest = {
  name: 'digest',
  schedule: 'every 1d',
  task: { type: 'prompt', prompt: 'Write the daily digest' },
  deliver: ['log'],
};

beforeAll(async () => {
  model = await startModelServer({ defaultReply: { text: 'DIGEST: all quiet' } });
  home = mkdtempSync(join(tmpdir(), 'mnemos-http-cron-'));
  writeFileSync(
    join(home, 'config.yaml'),
    `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n  max_retries: 0\n`,
  );
  mnemos = await Mnemos.open({ home });
  server = await startServer(mnemos, {
    port: 0,
    log: jsonLogger(new Writable({ write: (_chunk, _encoding, done) => done() })),
    rateLimitPerMinute: 0,
  });
  url = server.url;
  // Ticked by the tests themselves, so each run starts exactly when a test wants it.
  scheduler = new CronScheduler(mnemos, {});
  for (const tenant of ['alice', 'bob'] as const)
    keys[tenant] = (await mnemos.keys.create({ appId: 'shop', tenantId: tenant })).key;
});

afterAll(async () => {
  await scheduler?.stop();
  await server?.stop(5_000);
  await mnemos?.close();
  await model?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('/v1/cron', () => {
  it("keeps tenants apart: another tenant's job is never listed, read, changed, run or deleted", async () => {
    const created = await call(url, keys.alice, 'POST', '/v1/cron', digest);
    expect(created.status, created.text).toBe(201);
    expect(created.json<CronJob>()).toMatchObject({
      name: 'digest',
      origin: 'http',
      scheduleKind: 'interval',
      running: false,
    });
    expect(created.json<Record<string, unknown>>().tenantId).toBeUndefined();

    expect((await call(url, keys.bob, 'GET', '/v1/cron')).json()).toEqual({ jobs: [] });
    for (const [method, path, body] of [
      ['GET', '/v1/cron/digest', undefined],
      ['PATCH', '/v1/cron/digest', { schedule: 'every 2h' }],
      ['POST', '/v1/cron/digest/pause', undefined],
      ['POST', '/v1/cron/digest/run', undefined],
      ['GET', '/v1/cron/digest/runs', undefined],
      ['DELETE', '/v1/cron/digest', undefined],
    ] as const) {
      expectError(await call(url, keys.bob, method, path, body), 404, 'not_found');
    }
    // Bob may have a job of the same name: names are per tenant.
    expect((await call(url, keys.bob, 'POST', '/v1/cron', digest)).status).toBe(201);
    const alices = (await call(url, keys.alice, 'GET', '/v1/cron/digest')).json<CronJob>();
    expect(alices.schedule).toBe('every 1d');
    expect(alices.paused).toBe(false);
    expectError(await call(url, keys.alice, 'POST', '/v1/cron', digest), 409, 'conflict');

    const audit = (await call(url, keys.alice, 'GET', '/v1/requests')).json<{
      requests: Array<{ method: string; path: string; status: number }>;
    }>().requests;
    expect(audit).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/v1/cron', status: 201 }),
    );
    expect(audit.every((entry) => entry.status !== 404)).toBe(true);
  });

  it('refuses bad input whole, before anything is stored', async () => {
    const bad = [
      [{ ...digest, name: 'moon', schedule: 'every blue moon' }, 'schedule'],
      [{ ...digest, name: 'Bad Name' }, 'name'],
      [{ ...digest, name: 'extra', owner: 'mallory' }, 'owner'],
      [{ ...digest, name: 'tz', schedule: '0 9 * * *', timezone: 'Mars/Olympus' }, 'timezone'],
      [{ ...digest, name: 'filer', deliver: ['log', 'file:/etc/cron.d/x'] }, 'deliver.1'],
      [{ ...digest, name: 'maint', task: { type: 'maintenance', task: 'memory_cleanup' } }, 'task'],
    ] as const;
    for (const [body, field] of bad) {
      const answer = await call(url, keys.alice, 'POST', '/v1/cron', body);
      expectError(answer, 400, 'invalid_input');
      expect(answer.text, JSON.stringify(body)).toContain(field);
    }
    const file = await call(url, keys.alice, 'POST', '/v1/cron', {
      ...digest,
      name: 'filer',
      deliver: ['file:/tmp/out.md'],
    });
    expect(file.json<{ error: { message: string } }>().error.message).toContain(
      'file targets are only for jobs created locally',
    );
    const names = (await call(url, keys.alice, 'GET', '/v1/cron'))
      .json<{ jobs: CronJob[] }>()
      .jobs.map((job) => job.name);
    expect(names).toEqual(['digest']);

    expectError(
      await call(url, keys.alice, 'PATCH', '/v1/cron/digest', { deliver: ['file:/tmp/x'] }),
      400,
      'invalid_input',
    );
    expectError(await call(url, keys.alice, 'PATCH', '/v1/cron/digest', {}), 400, 'invalid_input');
    expect((await call(url, keys.alice, 'GET', '/v1/cron/digest')).json<CronJob>().deliver).toEqual(
      ['log'],
    );
  });

  it('changes, pauses and resumes a job', async () => {
    const patched = await call(url, keys.alice, 'PATCH', '/v1/cron/digest', {
      schedule: '0 7 * * *',
      timezone: 'Asia/Tokyo',
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json<CronJob>()).toMatchObject({
      schedule: '0 7 * * *',
      scheduleKind: 'cron',
      timezone: 'Asia/Tokyo',
    });
    expect(
      (await call(url, keys.alice, 'POST', '/v1/cron/digest/pause')).json<CronJob>().paused,
    ).toBe(true);
    expect(
      (await call(url, keys.alice, 'POST', '/v1/cron/digest/resume')).json<CronJob>().paused,
    ).toBe(false);
  });

  it('runs a job on demand (202, then 409 while it runs) and shows the run in its history', async () => {
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    model.script(async () => {
      await held;
      return { text: 'DIGEST: three new notes' };
    });
    const queued = await call(url, keys.alice, 'POST', '/v1/cron/digest/run');
    expect(queued.status, queued.text).toBe(202);
    expect(Date.parse(queued.json<CronJob>().nextRunAt!)).toBeLessThanOrEqual(Date.now());
    const [started] = await scheduler.tick();
    expect(started).toMatchObject({ jobName: 'digest', status: 'running' });
    expect((await call(url, keys.alice, 'GET', '/v1/cron/digest')).json<CronJob>().running).toBe(
      true,
    );
    expectError(await call(url, keys.alice, 'POST', '/v1/cron/digest/run'), 409, 'conflict');
    const running = (await call(url, keys.alice, 'GET', '/v1/cron/digest/runs')).json<{
      runs: CronRun[];
    }>();
    expect(running.runs.map((run) => [run.id, run.status])).toEqual([[started!.id, 'running']]);
    expect(running.runs[0]).not.toHaveProperty('worker');
    release();
    await scheduler.idle();

    const runs = (await call(url, keys.alice, 'GET', '/v1/cron/digest/runs')).json<{
      runs: CronRun[];
    }>().runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      id: started!.id,
      status: 'ok',
      output: 'DIGEST: three new notes',
      error: null,
    });
    const one = await call(url, keys.alice, 'GET', `/v1/cron/runs/${started!.id}`);
    expect(one.json<CronRun>().output).toBe('DIGEST: three new notes');
    expectError(await call(url, keys.bob, 'GET', `/v1/cron/runs/${started!.id}`), 404, 'not_found');
    expect((await call(url, keys.alice, 'GET', '/v1/cron/digest')).json<CronJob>()).toMatchObject({
      lastStatus: 'ok',
      running: false,
    });
    // Bob's job of the same name never ran.
    expect((await call(url, keys.bob, 'GET', '/v1/cron/digest/runs')).json()).toEqual({ runs: [] });
  });

  it('the typed client covers the routes', async () => {
    const client = new MnemosClient({ baseUrl: url, apiKey: keys.bob });
    const job = await client.cron.create({
      name: 'weekly',
      schedule: '@weekly',
      task: { type: 'prompt', prompt: 'Weekly review' },
    });
    expect(job.origin).toBe('http');
    expect((await client.cron.list()).map((each) => each.name)).toEqual(['digest', 'weekly']);
    expect((await client.cron.update('weekly', { repeat: 4 })).repeat).toEqual({
      times: 4,
      completed: 0,
    });
    expect((await client.cron.pause('weekly')).paused).toBe(true);
    expect((await client.cron.resume('weekly')).paused).toBe(false);
    expect(await client.cron.runs('weekly', { limit: 5 })).toEqual([]);
    await expect(client.cron.getRun('nope')).rejects.toMatchObject({ code: 'not_found' });
    await client.cron.delete('weekly');
    await expect(client.cron.get('weekly')).rejects.toMatchObject({ code: 'not_found' });
  });
});
