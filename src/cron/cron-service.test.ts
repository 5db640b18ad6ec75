import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import { CronService } from './cron-service.js';

const alice = { appId: 'app', tenantId: 'alice' };
const bob = { appId: 'app', tenantId: 'bob' };
const start = Date.parse('2026-03-10T12:00:00.000Z');

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error))
    throw new Error(`expected a MnemosError, got ${String(error)}`);
  return error;
}

describe('CronService', () => {
  let home: ReturnType<typeof tempHome>;
  let storage: SqliteStorage;
  let clock: number;
  let cron: CronService;

  beforeEach(() => {
    home = tempHome('mnemos-cron-service-');
    storage = new SqliteStorage(join(home.home, 'mnemos.db'));
    clock = start;
    cron = new CronService(storage.cron, { memoryWrites: false, now: () => clock });
  });

  afterEach(async () => {
    await storage.close();
    home.remove();
  });

  it('adds a job with its next slot, kind, defaults and a 12-hex id', async () => {
    const job = await cron.add(alice, {
      name: 'news',
      schedule: 'every 2h',
      task: { type: 'prompt', prompt: 'Summarise the news' },
      deliver: ['log', 'file:news.md', 'webhook:https://example.com/hook'],
    });
    expect(job).toMatchObject({
      appId: 'app',
      tenantId: 'alice',
      scheduleKind: 'interval',
      nextRunAt: new Date(start + 7_200_000).toISOString(),
      memory: false,
      origin: 'local',
      repeat: { times: null, completed: 0 },
      paused: false,
      agent: null,
    });
    expect(job.id).toMatch(/^[0-9a-f]{12}$/);
    expect(await cron.get(alice, 'news')).toEqual(job);
    expect(await cron.get(alice, job.id)).toEqual(job);
    const once = await cron.add(alice, {
      name: 'remind',
      schedule: 'in 30m',
      task: { type: 'prompt', prompt: 'Stretch' },
      memory: true,
    });
    expect(once).toMatchObject({
      scheduleKind: 'once',
      repeat: { times: 1, completed: 0 },
      memory: true,
    });
  });

  it('rejects duplicate names, unknown fields, bad names, targets, schedules and long prompts', async () => {
    const task = { type: 'prompt', prompt: 'x' };
    await cron.add(alice, { name: 'news', schedule: 'every 1h', task });
    expect(
      (await failure(cron.add(alice, { name: 'news', schedule: 'every 1h', task }))).code,
    ).toBe('conflict');
    await cron.add(bob, { name: 'news', schedule: 'every 1h', task });
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'x', schedule: 'every 1h', task, extra: 1 }, /extra/],
      [{ name: 'Bad Name', schedule: 'every 1h', task }, /name/],
      [
        { name: 'x', schedule: 'every 1h', task: { type: 'prompt', prompt: 'y'.repeat(16_001) } },
        /task.prompt/,
      ],
      [
        { name: 'x', schedule: 'every 1h', task, deliver: ['carrier-pigeon:#1 with space'] },
        /deliver.0/,
      ],
      [
        { name: 'x', schedule: 'every 1h', task, deliver: ['pigeon:42'] },
        /deliver.0: nothing delivers/,
      ],
      [
        { name: 'x', schedule: 'every 1h', task, deliver: ['webhook:https://u:p@example.com/'] },
        /credentials/,
      ],
      [{ name: 'x', schedule: 'whenever', task }, /^schedule: /],
      [{ name: 'x', schedule: '0 9 * * *', timezone: 'Nowhere/City', task }, /^timezone: /],
      [{ name: 'x', schedule: 'every 1h', task: { type: 'shell', command: 'rm' } }, /task/],
    ];
    for (const [input, message] of cases) {
      const error = await failure(cron.add(alice, input));
      expect(['invalid_input', 'limit_exceeded']).toContain(error.code);
      expect(error.message).toMatch(message);
    }
    expect((await cron.list(alice)).map((job) => job.name)).toEqual(['news']);
  });

  it('allows file targets and maintenance tasks only for local jobs; asks the notifier for the rest', async () => {
    const task = { type: 'prompt', prompt: 'x' };
    const error = await failure(
      cron.add(
        alice,
        { name: 'f', schedule: 'every 1h', task, deliver: ['file:/etc/passwd'] },
        { origin: 'http' },
      ),
    );
    expect(error.message).toMatch(/deliver.0: file targets are only for jobs created locally/);
    expect(
      (
        await failure(
          cron.add(
            alice,
            {
              name: 'm',
              schedule: 'every 1h',
              task: { type: 'maintenance', task: 'memory-cleanup' },
            },
            { origin: 'gateway' },
          ),
        )
      ).message,
    ).toMatch(/^task: /);
    // A tenant's job reaches only the tenant's own accounts, one per target.
    cron = new CronService(storage.cron, {
      memoryWrites: false,
      now: () => clock,
      ownTargets: async (tenant) =>
        tenant.tenantId === 'alice' ? ['telegram:123', 'email:a@x.test'] : [],
    });
    for (const target of ['slack', 'all', 'route', 'telegram:999', 'telegram:123,999']) {
      const refused = await failure(
        cron.add(
          alice,
          { name: 'x', schedule: 'every 1h', task, deliver: [target] },
          { origin: 'http' },
        ),
      );
      expect(refused.message, target).toMatch(
        /^deliver\.0: .*(own accounts|not one of this tenant's accounts)/u,
      );
    }
    expect(
      (
        await failure(
          cron.add(
            bob,
            { name: 'x', schedule: 'every 1h', task, deliver: ['telegram:123'] },
            { origin: 'gateway' },
          ),
        )
      ).message,
    ).toMatch(/none linked yet/u);
    const job = await cron.add(
      alice,
      { name: 'h', schedule: 'every 1h', task, deliver: ['telegram:123', 'email:A@x.test'] },
      { origin: 'http' },
    );
    expect(job.origin).toBe('http');
    // Operators' own jobs may still deliver anywhere the gateway reaches.
    await cron.add(alice, { name: 'ops', schedule: 'every 1h', task, deliver: ['slack', 'all'] });
    cron.useTargetCheck((target) => target === 'telegram:123');
    expect(
      (
        await failure(
          cron.add(alice, { name: 's', schedule: 'every 1h', task, deliver: ['slack'] }),
        )
      ).message,
    ).toMatch(/deliver.0/);
    // A job created over HTTP stays untrusted when changed locally, and cannot gain a file target.
    expect((await failure(cron.update(alice, 'h', { deliver: ['file:x.md'] }))).message).toMatch(
      /file targets/,
    );
  });

  it('updates, pauses, resumes and removes; a new schedule computes the next slot again', async () => {
    await cron.add(alice, {
      name: 'news',
      schedule: 'every 2h',
      task: { type: 'prompt', prompt: 'x' },
    });
    clock = start + 60_000;
    const changed = await cron.update(alice, 'news', {
      schedule: '0 9 * * *',
      timezone: 'Asia/Shanghai',
      deliver: ['log'],
    });
    expect(changed).toMatchObject({
      scheduleKind: 'cron',
      nextRunAt: '2026-03-11T01:00:00.000Z',
      deliver: ['log'],
    });
    expect((await cron.pause(alice, 'news')).paused).toBe(true);
    clock = Date.parse('2026-03-12T05:00:00.000Z');
    const resumed = await cron.resume(alice, 'news');
    expect(resumed).toMatchObject({ paused: false, nextRunAt: '2026-03-13T01:00:00.000Z' });
    expect((await failure(cron.update(alice, 'news', {}))).code).toBe('invalid_input');
    expect((await failure(cron.update(bob, 'news', { paused: true }))).code).toBe('not_found');
    expect((await cron.remove(alice, 'news')).name).toBe('news');
    expect((await failure(cron.get(alice, 'news'))).code).toBe('not_found');
    expect((await failure(cron.run(alice, 'nope'))).code).toBe('not_found');
    expect(await cron.runs(alice, { limit: 10, offset: 0 })).toEqual([]);
  });

  it('keeps every tenant to its own jobs', async () => {
    await cron.add(alice, {
      name: 'news',
      schedule: 'every 2h',
      task: { type: 'prompt', prompt: 'x' },
    });
    expect(await cron.list(bob)).toEqual([]);
    expect((await failure(cron.remove(bob, 'news'))).code).toBe('not_found');
    expect((await failure(cron.history(bob, 'news', { limit: 10, offset: 0 }))).code).toBe(
      'not_found',
    );
    expect(await cron.history(alice, 'news', { limit: 10, offset: 0 })).toEqual([]);
  });

  it('bounds jobs created over HTTP or from a chat: how many, and how often they run', async () => {
    const bounded = new CronService(storage.cron, {
      memoryWrites: false,
      now: () => clock,
      untrusted: { maxJobs: 2, minIntervalMs: 300_000 },
    });
    const task = { type: 'prompt', prompt: 'x' };
    const http = { origin: 'http' } as const;
    const often = await failure(
      bounded.add(alice, { name: 'a', schedule: 'every 1m', task }, http),
    );
    expect(often.code).toBe('invalid_input');
    expect(often.message).toMatch(/cron\.untrusted\.min_interval_s/u);
    const everyMinute = await failure(
      bounded.add(alice, { name: 'a', schedule: '* * * * *', task }, http),
    );
    expect(everyMinute.code).toBe('invalid_input');
    // A one-shot runs once, however soon; the same schedules are fine for the operator's jobs.
    await bounded.add(alice, { name: 'soon', schedule: 'in 1m', task }, http);
    await bounded.add(alice, { name: 'local', schedule: 'every 1m', task });
    const many = await failure(bounded.add(alice, { name: 'b', schedule: 'every 1h', task }, http));
    expect(many.code).toBe('limit_exceeded');
    await bounded.add(bob, { name: 'b', schedule: 'every 1h', task }, http);
    const faster = await failure(bounded.update(bob, 'b', { schedule: 'every 10s' }, http));
    expect(faster.code).toBe('invalid_input');
    expect((await bounded.get(bob, 'b')).schedule).toBe('every 1h');
  });

  it('keeps built-in maintenance jobs to the operator, and bounds runs on demand', async () => {
    const bounded = new CronService(storage.cron, {
      memoryWrites: false,
      now: () => clock,
      untrusted: { maxJobs: 5, minIntervalMs: 300_000 },
    });
    await bounded.add(alice, {
      name: 'memory_cleanup',
      schedule: 'every 1d',
      task: { type: 'maintenance', task: 'memory_cleanup' },
    });
    const http = { origin: 'http' } as const;
    for (const attempt of [
      bounded.pause(alice, 'memory_cleanup', http),
      bounded.remove(alice, 'memory_cleanup', http),
      bounded.runNow(alice, 'memory_cleanup', http),
      bounded.update(alice, 'memory_cleanup', { schedule: 'every 2d' }, http),
    ]) {
      expect((await failure(attempt)).code).toBe('forbidden');
    }
    await bounded.pause(alice, 'memory_cleanup');
    const job = await bounded.add(
      alice,
      { name: 'j', schedule: 'every 1h', task: { type: 'prompt', prompt: 'x' } },
      http,
    );
    // One run of it, just now.
    const due = await bounded.runNow(alice, job.name);
    const claim = { jobId: job.id, worker: 'w', now: clock, runId: 'run-1' };
    await storage.cron.claim(alice, {
      ...claim,
      expectedNextRunAt: Date.parse(due.nextRunAt!),
      nextRunAt: clock + 3_600_000,
      leaseUntil: clock + 60_000,
    });
    await storage.cron.finish(alice, {
      ...claim,
      status: 'ok',
      output: 'x',
      error: null,
      deliveries: [],
      sessionId: null,
    });
    expect((await failure(bounded.runNow(alice, 'j', http))).code).toBe('rate_limited');
    clock += 300_000;
    await bounded.runNow(alice, 'j', http);
  });

  it('holds the job cap under concurrent adds', async () => {
    const bounded = new CronService(storage.cron, {
      memoryWrites: false,
      now: () => clock,
      untrusted: { maxJobs: 3, minIntervalMs: 300_000 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        bounded.add(
          alice,
          { name: `n${i}`, schedule: 'every 1h', task: { type: 'prompt', prompt: 'x' } },
          { origin: 'http' },
        ),
      ),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    expect(await bounded.list(alice)).toHaveLength(3);
  });
});
