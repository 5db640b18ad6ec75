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
