import { InvalidArgumentError } from 'commander';

/** Collects repeated `--metadata key=value` options into a record. */
export function collectPairs(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const index = value.indexOf('=');
  if (index <= 0)
    throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, index)]: value.slice(index + 1) };
}

/** Collects a repeated option into a list. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses a whole number option. */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value))
    throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses a duration option (`90d`, `12h`, `30m`, `1.5w`) into milliseconds; more than zero. */
export function duration(value: string): number {
  const ms = durationOrZero(value);
  if (ms <= 0) throw new InvalidArgumentError(`expected a duration longer than 0, got "${value}"`);
  return ms;
}

/** Parses a duration option into milliseconds, where `0` (switching a window off) is allowed. */
export function durationOrZero(value: string): number {
  if (value.trim() === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/u.exec(value.trim());
  if (!match)
    throw new InvalidArgumentError(
      `expected a duration such as 90d, 12h or 30m, got ${JSON.stringify(value)}`,
    );
  return Math.round(Number(match[1]) * durationUnits[match[2]!]!);
}
