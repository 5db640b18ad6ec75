import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MnemosError } from '../core/errors.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import { nextUtcMidnight, UsageService, utcDay } from './usage-service.js';

const user = { appId: 'app', tenantId: 'u1' };
let folder: string;
let storage: SqliteStorage;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'mnemos-usage-'));
  storage = new SqliteStorage(join(folder, 'mnemos.db'));
});
afterEach(async () => {
  await storage.close();
  rmSync(folder, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => new Error('expected quota_exceeded'),
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

describe('UsageService', () => {
  it('counts by UTC day, and the daily quota resets at UTC midnight', async () => {
    const clock = { now: Date.parse('2026-03-01T23:59:00.000Z') };
    const usage = new UsageService(storage.usage, { perUserDailyTokens: 10 }, () => clock.now);
    await usage.check(user, 's1');
    await usage.record(user, 's1', { inputTokens: 6, outputTokens: 4 });
    const error = await failure(usage.check(user, 's1'));
    expect(error.code).toBe('quota_exceeded');
    expect(error.details).toEqual({
      quota: 'per_user_daily_tokens',
      limit: 10,
      used: 10,
      resetsAt: '2026-03-02T00:00:00.000Z',
      retryAfterSeconds: 60,
    });
    clock.now = Date.parse('2026-03-02T00:00:00.000Z');
    await usage.check(user, 's1');
    expect(await usage.totals(user, { day: '2026-03-01' })).toEqual({ input: 6, output: 4 });
    expect(await usage.totals(user, { day: '2026-03-02' })).toEqual({ input: 0, output: 0 });
  });

  it('checks the session, then the overall quota, each by its own count', async () => {
    const usage = new UsageService(storage.usage, { perSessionTokens: 5, perUserTokens: 8 });
    await usage.record(user, 's1', { inputTokens: 5, outputTokens: 0 });
    expect((await failure(usage.check(user, 's1'))).details.quota).toBe('per_session_tokens');
    await usage.check(user, 's2');
    await usage.record(user, 's2', { inputTokens: 1, outputTokens: 2 });
    const overall = await failure(usage.check(user, 's3'));
    expect(overall.details).toMatchObject({ quota: 'per_user_tokens', used: 8, resetsAt: null });
    // Another user of the same app is not affected.
    await usage.check({ appId: 'app', tenantId: 'u2' }, 's1');
  });

  it('is unlimited without quotas, and skips calls that used nothing', async () => {
    const usage = new UsageService(storage.usage, {});
    expect(usage.limited).toBe(false);
    await usage.record(user, 's1', { inputTokens: 0, outputTokens: 0 });
    await usage.check(user, 's1');
    expect(
      (storage as unknown as { statements: { get(sql: string): { get(): unknown } } }).statements
        .get('SELECT count(*) AS n FROM token_usage')
        .get(),
    ).toEqual({ n: 0 });
  });

  it('names days and midnights in UTC', () => {
    expect(utcDay(Date.parse('2026-12-31T23:59:59.999Z'))).toBe('2026-12-31');
    expect(nextUtcMidnight(Date.parse('2026-12-31T10:00:00.000Z')).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });
});
