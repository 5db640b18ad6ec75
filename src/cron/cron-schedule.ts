import { Cron } from 'croner';
import type { CronScheduleKind } from '../core/cron-record.js';
import { MnemosError } from '../core/errors.js';

/** A schedule understood: its kind and what the next slot is computed from. */
export type ParsedSchedule =
  | { kind: 'once'; runAt: number }
  | { kind: 'interval'; everyMs: number }
  | { kind: 'cron'; expression: string };

const examples =
  'e.g. `in 30m`, `every 2h`, `every day`, `0 9 * * 1-5`, `@daily` or `2026-12-24T09:00`';

const units: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const unitWords: Record<string, string> = {
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  week: 'w',
  weeks: 'w',
};
const nicknames = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);
const longestMs = 366 * units.d!;

function bad(message: string): MnemosError {
  return new MnemosError('invalid_input', `schedule: ${message}; ${examples}`);
}

/** `30m`, `2 hours`, `hour` (one of the unit) as milliseconds, or null when it is no duration. */
function durationMs(text: string): number | null {
  const match = /^(\d+)?\s*([a-z]+)$/.exec(text);
  if (!match) return null;
  const unit = units[match[2]!] !== undefined ? match[2]! : unitWords[match[2]!];
  if (!unit) return null;
  if (match[1] === undefined && match[2]!.length === 1) return null;
  const count = match[1] === undefined ? 1 : Number(match[1]);
  return count * units[unit]!;
}

/** Fails with `invalid_input` unless `timezone` is an IANA zone this Node knows. */
export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new MnemosError(
      'invalid_input',
      `timezone: '${timezone}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`,
    );
  }
}

/**
 * Reads a schedule: `in 30m` and bare `30m` run once from `now`; `every 30m|2h|1d`, `every hour`
 * repeat at that interval; 5- or 6-field cron expressions and `@daily`-style nicknames follow the
 * clock of `timezone` (default UTC); an ISO date or time runs once (read in `timezone` when it has
 * no offset). Bad input fails with `invalid_input` naming `schedule` and giving examples.
 */
export function parseSchedule(
  schedule: string,
  options: {
    timezone?: string | null;
    now: number;
    /** Accept a one-shot time already past (reading a stored job back); default false. */
    pastOk?: boolean;
  },
): ParsedSchedule {
  const timezone = options.timezone ?? undefined;
  if (timezone) checkTimezone(timezone);
  const text = schedule.trim().toLowerCase().replace(/\s+/g, ' ');
  if (text === '') throw bad('empty');
  const every = /^every (.+)$/.exec(text);
  if (every) {
    const everyMs = durationMs(every[1]!);
    if (everyMs === null) throw bad(`cannot read the interval '${every[1]}'`);
    if (everyMs < 1_000 || everyMs > longestMs) throw bad('intervals run from 1s to 366d');
    return { kind: 'interval', everyMs };
  }
  const relative = /^(?:in )?(.+)$/.exec(text)!;
  const delayMs =
    /^\d/.test(relative[1]!) || text.startsWith('in ') ? durationMs(relative[1]!) : null;
  if (delayMs !== null) {
    if (delayMs < 1_000 || delayMs > longestMs) throw bad('delays run from 1s to 366d');
    return { kind: 'once', runAt: options.now + delayMs };
  }
  if (text.startsWith('in ')) throw bad(`cannot read the delay '${text.slice(3)}'`);
  if (/^\d{4}-\d{2}-\d{2}/.test(text))
    return {
      kind: 'once',
      runAt: isoTime(schedule.trim(), timezone, options.pastOk ? null : options.now),
    };
  const fields = text.split(' ');
  if (
    nicknames.has(text) ||
    ((fields.length === 5 || fields.length === 6) &&
      fields.every((field) => /^[\d*,/?lw#a-z-]+$/.test(field)))
  ) {
    try {
      new Cron(text, { timezone, paused: true });
    } catch (error) {
      throw bad(
        `'${schedule.trim()}' is not a valid cron expression (${(error as Error).message})`,
      );
    }
    return { kind: 'cron', expression: text };
  }
  throw bad(`cannot read '${schedule.trim()}'`);
}

function isoTime(text: string, timezone: string | undefined, now: number | null): number {
  const hasOffset = /(z|[+-]\d{2}:?\d{2})$/i.test(text);
  let at: number;
  if (hasOffset || !timezone) {
    at = Date.parse(hasOffset || text.length === 10 ? text : `${text}Z`);
    if (text.length === 10 && !hasOffset) at = Date.parse(`${text}T00:00:00Z`);
  } else {
    try {
      const slot = new Cron(text.length === 10 ? `${text}T00:00:00` : text, {
        timezone,
        paused: true,
      }).nextRun(new Date(0));
      at = slot ? slot.getTime() : Number.NaN;
    } catch {
      at = Number.NaN;
    }
  }
  if (Number.isNaN(at)) throw bad(`'${text}' is not an ISO date or time`);
  if (now !== null && at <= now) throw bad(`'${text}' is in the past`);
  return at;
}

/** The kind of a schedule (see {@link parseSchedule}). */
export function scheduleKind(schedule: string, timezone?: string | null): CronScheduleKind {
  return parseSchedule(schedule, { timezone: timezone ?? null, now: Date.now(), pastOk: true })
    .kind;
}

/**
 * The first slot after `after` (epoch ms), or null when there is none: a one-shot's time when it
 * is still ahead (relative ones count from `after`), `after` + the interval, or the cron
 * expression's next match in `timezone`.
 */
export function nextRun(schedule: string, after: number, timezone?: string | null): number | null {
  const parsed = parseSchedule(schedule, { timezone: timezone ?? null, now: after, pastOk: true });
  return nextSlot(parsed, after, timezone);
}

/** {@link nextRun} of an already parsed schedule. */
export function nextSlot(
  parsed: ParsedSchedule,
  after: number,
  timezone?: string | null,
): number | null {
  switch (parsed.kind) {
    case 'once':
      return parsed.runAt > after ? parsed.runAt : null;
    case 'interval':
      return after + parsed.everyMs;
    case 'cron': {
      const next = new Cron(parsed.expression, {
        timezone: timezone ?? undefined,
        paused: true,
      }).nextRun(new Date(after));
      return next ? next.getTime() : null;
    }
  }
}

/**
 * The shortest time between two runs of a schedule: the interval, the smallest gap among a cron
 * expression's next few slots, or null for a one-shot (it runs once).
 */
export function shortestGapMs(
  parsed: ParsedSchedule,
  after: number,
  timezone?: string | null,
): number | null {
  if (parsed.kind === 'once') return null;
  if (parsed.kind === 'interval') return parsed.everyMs;
  const slots = new Cron(parsed.expression, { timezone: timezone ?? undefined, paused: true })
    .nextRuns(6, new Date(after))
    .map((slot) => slot.getTime());
  let gap: number | null = null;
  for (let i = 1; i < slots.length; i++) {
    const between = slots[i]! - slots[i - 1]!;
    gap = gap === null ? between : Math.min(gap, between);
  }
  return gap;
}
