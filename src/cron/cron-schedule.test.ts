import { describe, expect, it } from 'vitest';
import { MnemosError } from '../core/errors.js';
import { nextRun, parseSchedule } from './cron-schedule.js';

const now = Date.parse('2026-03-10T12:00:00.000Z');

function failure(schedule: string, timezone?: string): MnemosError {
  try {
    parseSchedule(schedule, { now, timezone: timezone ?? null });
  } catch (error) {
    if (MnemosError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${schedule} to fail`);
}

describe('parseSchedule', () => {
  it('reads `in 30m` and bare `30m` as one run from now', () => {
    expect(parseSchedule('in 30m', { now })).toEqual({ kind: 'once', runAt: now + 1_800_000 });
    expect(parseSchedule('30m', { now })).toEqual({ kind: 'once', runAt: now + 1_800_000 });
    expect(parseSchedule('In 2 Hours', { now })).toEqual({ kind: 'once', runAt: now + 7_200_000 });
    expect(parseSchedule('in 1d', { now })).toEqual({ kind: 'once', runAt: now + 86_400_000 });
  });

  it('reads `every …` as an interval', () => {
    expect(parseSchedule('every 30m', { now })).toEqual({ kind: 'interval', everyMs: 1_800_000 });
    expect(parseSchedule('every 2h', { now })).toEqual({ kind: 'interval', everyMs: 7_200_000 });
    expect(parseSchedule('every 1d', { now })).toEqual({ kind: 'interval', everyMs: 86_400_000 });
    expect(parseSchedule('every hour', { now })).toEqual({ kind: 'interval', everyMs: 3_600_000 });
    expect(parseSchedule('every day', { now })).toEqual({ kind: 'interval', everyMs: 86_400_000 });
    expect(parseSchedule('every 1s', { now })).toEqual({ kind: 'interval', everyMs: 1_000 });
    expect(nextRun('every 2h', now)).toBe(now + 7_200_000);
  });

  it('reads 5- and 6-field cron expressions and nicknames, in a timezone', () => {
    expect(parseSchedule('0 9 * * 1-5', { now })).toEqual({
      kind: 'cron',
      expression: '0 9 * * 1-5',
    });
    expect(parseSchedule('*/10 * * * * *', { now }).kind).toBe('cron');
    expect(parseSchedule('@daily', { now }).kind).toBe('cron');
    // 2026-03-10 is a Tuesday: 09:00 UTC has passed at 12:00, so the next is Wednesday.
    expect(new Date(nextRun('0 9 * * 1-5', now)!).toISOString()).toBe('2026-03-11T09:00:00.000Z');
    // 09:00 in Shanghai (UTC+8) is 01:00 UTC.
    expect(new Date(nextRun('0 9 * * *', now, 'Asia/Shanghai')!).toISOString()).toBe(
      '2026-03-11T01:00:00.000Z',
    );
    expect(new Date(nextRun('@hourly', now)!).toISOString()).toBe('2026-03-10T13:00:00.000Z');
  });

  it('reads ISO dates and times as one run, local ones in the timezone', () => {
    expect(parseSchedule('2026-12-24T09:00:00Z', { now })).toEqual({
      kind: 'once',
      runAt: Date.parse('2026-12-24T09:00:00Z'),
    });
    expect(parseSchedule('2026-12-24T09:00', { now })).toEqual({
      kind: 'once',
      runAt: Date.parse('2026-12-24T09:00:00Z'),
    });
    expect(parseSchedule('2026-12-24T09:00', { now, timezone: 'Europe/Berlin' })).toEqual({
      kind: 'once',
      runAt: Date.parse('2026-12-24T08:00:00Z'),
    });
    expect(parseSchedule('2026-12-24', { now })).toEqual({
      kind: 'once',
      runAt: Date.parse('2026-12-24T00:00:00Z'),
    });
    expect(nextRun('2026-12-24T09:00:00Z', Date.parse('2026-12-25T00:00:00Z'))).toBeNull();
  });

  it('rejects bad schedules naming the field and giving examples', () => {
    for (const bad of [
      '',
      'sometimes',
      'every fortnight',
      'in soon',
      '99 * * * *',
      'every 0m',
      'every 500d',
      '2025-01-01T00:00Z',
      '2026-13-45',
    ]) {
      const error = failure(bad);
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(/^schedule: /);
      expect(error.message).toContain('every 2h');
    }
    expect(failure('99 * * * *').message).toContain('not a valid cron expression');
    expect(failure('2025-01-01T00:00Z').message).toContain('in the past');
  });

  it('rejects an unknown timezone', () => {
    const error = failure('0 9 * * *', 'Mars/Olympus_Mons');
    expect(error.code).toBe('invalid_input');
    expect(error.message).toMatch(/^timezone: 'Mars\/Olympus_Mons' is not an IANA time zone/);
  });
});
