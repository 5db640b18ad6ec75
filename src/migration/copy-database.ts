import { MnemosError } from '../core/errors.js';
import type { Storage, TransferCheckpoint, TransferRow, TransferTable } from '../spec/storage.js';
import { transferTables } from '../spec/storage.js';
import { indexTokens } from '../text/tokenizer.js';

/** Rows of each table: in the source, and already in the target when the copy starts. */
export interface CopyPlan {
  /** True when an interrupted copy of the same source is picked up. */
  resumed: boolean;
  tables: Array<{ table: TransferTable; rows: number; copied: number }>;
}

/** Options of {@link copyDatabase}. */
export interface CopyOptions {
  /** Names the source, so a rerun resumes its own copy and never another's. */
  migration: string;
  /** Rows read and committed together. */
  batchSize: number;
  /** Called once before copying. */
  onPlan?: (plan: CopyPlan) => void;
  /** Called after each committed batch with the table and its rows copied so far. */
  onProgress?: (table: TransferTable, copied: number) => void;
}

/** Rows copied per table, this run and in total. */
export interface CopyResult {
  resumed: boolean;
  tables: Array<{ table: TransferTable; copied: number; copiedNow: number }>;
}

/**
 * Copies every table of `source` into an empty `target`, in committed batches. Each batch is
 * written with its checkpoint in one transaction, so an interrupted copy rerun with the same
 * `migration` resumes where it stopped, without repeating or skipping a row.
 */
export async function copyDatabase(
  source: Storage,
  target: Storage,
  options: CopyOptions,
): Promise<CopyResult> {
  const checkpoints = await target.transfer.checkpoints();
  const other = checkpoints.find((checkpoint) => checkpoint.migration !== options.migration);
  if (other) {
    throw new MnemosError(
      'already_exists',
      `the target already holds a copy of ${other.migration}: to resume it, run again with --from naming that database; to copy another, use an empty database`,
      { details: { migration: other.migration } },
    );
  }
  const resumed = checkpoints.length > 0;
  if (!resumed) await requireEmpty(target);
  const byTable = new Map(checkpoints.map((checkpoint) => [checkpoint.table, checkpoint]));
  const plan: CopyPlan = { resumed, tables: [] };
  for (const table of transferTables) {
    plan.tables.push({
      table,
      rows: await source.transfer.count(table),
      copied: byTable.get(table)?.copied ?? 0,
    });
  }
  options.onPlan?.(plan);
  const result: CopyResult = { resumed, tables: [] };
  for (const table of transferTables) {
    let checkpoint: TransferCheckpoint = byTable.get(table) ?? {
      migration: options.migration,
      table,
      cursor: null,
      copied: 0,
      done: false,
    };
    const before = checkpoint.copied;
    while (!checkpoint.done) {
      const page = await source.transfer.export(table, checkpoint.cursor, options.batchSize);
      checkpoint = {
        ...checkpoint,
        cursor: page.cursor,
        copied: checkpoint.copied + page.rows.length,
        done: page.rows.length < options.batchSize,
      };
      await target.transfer.import(table, page.rows.map(prepare(table)), checkpoint);
      options.onProgress?.(table, checkpoint.copied);
    }
    result.tables.push({ table, copied: checkpoint.copied, copiedNow: checkpoint.copied - before });
  }
  return result;
}

/** Refuses a target holding any row: a copy never merges into existing data. */
async function requireEmpty(target: Storage): Promise<void> {
  const held: Record<string, number> = {};
  for (const table of transferTables) {
    const rows = await target.transfer.count(table);
    if (rows > 0) held[table] = rows;
  }
  if (Object.keys(held).length === 0) return;
  const list = Object.entries(held)
    .map(([table, rows]) => `${rows} ${table}`)
    .join(', ');
  throw new MnemosError(
    'already_exists',
    `the target is not empty (${list}); copy into an empty database or schema`,
    { details: { rows: held } },
  );
}

/**
 * A source row as the target needs it: memories and messages get the full-text tokens a write
 * would index (none for a deleted memory), and a job another process was running is queued
 * again, since its lease means nothing in the target.
 */
function prepare(table: TransferTable): (row: TransferRow) => TransferRow {
  if (table === 'memories') {
    return (row) => ({
      ...row,
      tokens: row.deleted_at === null ? indexTokens(String(row.text)).join(' ') : null,
    });
  }
  if (table === 'session_messages') {
    return (row) => ({ ...row, tokens: indexTokens(String(row.content)).join(' ') });
  }
  if (table === 'jobs') return requeue;
  return (row) => row;
}

/** A job row as copied: one another process was running is queued again, without owner or lease. */
export function requeue(row: TransferRow): TransferRow {
  return row.state === 'running'
    ? { ...row, state: 'queued', owner: null, lease_until: null }
    : row;
}
