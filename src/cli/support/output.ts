import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import { MnemosError } from '../../core/errors.js';

// Loaded on the first table, so commands that print none (and --help) skip it.
const require = createRequire(import.meta.url);

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as a table sized for CJK text, or a note when there are none. */
export function printTable(
  head: string[],
  rows: Array<Array<string | number>>,
  empty = 'nothing found',
): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  const Table = require('cli-table3') as typeof TableType;
  const table = new Table({ head, wordWrap: true, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(String));
  process.stdout.write(`${table.toString()}\n`);
}

/** Shortens text for a table cell. */
export function clip(text: string, max = 80): string {
  const flat = text.replace(/\s+/gu, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Exit code for an error: 2 for the caller's mistakes, 1 for everything else. */
export function exitCodeOf(error: unknown): number {
  return MnemosError.isInstance(error) && error.category === 'user' ? 2 : 1;
}

/** Prints an error for people (message and hint) or scripts (the shared JSON shape) on stderr. */
export function printError(error: unknown, json: boolean): void {
  const payload = MnemosError.isInstance(error)
    ? error.toJSON()
    : { code: 'internal_error', message: (error as Error)?.message ?? String(error), details: {} };
  if (json) process.stderr.write(`${JSON.stringify({ error: payload })}\n`);
  else process.stderr.write(`error: ${payload.message}\n`);
}
