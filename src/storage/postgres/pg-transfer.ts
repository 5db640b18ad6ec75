import { MnemosError } from '../../core/errors.js';
import { nulPath } from '../../core/schemas.js';
import type { TenantKey } from '../../core/scope.js';
import type {
  TransferCheckpoint,
  TransferRow,
  TransferStorage,
  TransferTable,
} from '../../spec/storage.js';
import {
  addedColumns,
  type ColumnType,
  concurrentCopy,
  exportSelectList,
  rowTokens,
  transferColumns,
} from '../shared/transfer-columns.js';
import { sessionsSpace, TextStatistics } from './bm25.js';
import { ChangeSequence } from './change-sequence.js';
import type { Database, Sql } from './database.js';
import { memoryTsv } from './pg-memory-writes.js';
import { messagePartition } from './pg-sessions.js';
import { tsvectorLiteral } from './text-search.js';
import { createVectorIndexSql, parseVector, vectorLiteral } from './vectors.js';

/**
 * The columns each table is read in order of, each an index's leading columns so every batch is
 * an index range scan: tenant by tenant, and within a tenant in insertion order (row key or
 * sequence), which is the order reads rely on. The cursor is the JSON array of the last row's values.
 */
const orderColumns: Record<TransferTable, string[]> = {
  stores: ['name'],
  memories: ['app_id', 'tenant_id', 'key'],
  memory_history: ['app_id', 'tenant_id', 'seq'],
  jobs: ['app_id', 'tenant_id', 'seq'],
  sessions: ['app_id', 'tenant_id', 'id'],
  session_messages: ['app_id', 'tenant_id', 'key'],
  profile_entries: ['app_id', 'tenant_id', 'key'],
  profile_history: ['app_id', 'tenant_id', 'seq'],
  api_keys: ['id'],
  audit_log: ['app_id', 'tenant_id', 'seq'],
  skills: ['app_id', 'tenant_id', 'name'],
  skill_history: ['app_id', 'tenant_id', 'name', 'version'],
  token_usage: ['app_id', 'tenant_id', 'session_id', 'day'],
  team_runs: ['app_id', 'tenant_id', 'id'],
  agent_definitions: ['app_id', 'tenant_id', 'name'],
  cron_jobs: ['app_id', 'tenant_id', 'id'],
  cron_runs: ['app_id', 'tenant_id', 'seq'],
  gateway_accounts: ['platform', 'user_id'],
  gateway_bindings: ['app_id', 'tenant_id', 'chat_key'],
};

const arrayTypes: Record<ColumnType, string> = {
  text: 'text[]',
  integer: 'bigint[]',
  real: 'float8[]',
  boolean: 'boolean[]',
  vector: 'text[]',
};

/** Bulk copy of whole tables for `mnemos migrate`, in each table's insertion order. */
export class PostgresTransfer implements TransferStorage {
  constructor(private readonly db: Database) {}

  async export(
    table: TransferTable,
    after: string | null,
    limit: number,
  ): Promise<{ rows: TransferRow[]; cursor: string | null }> {
    const order = orderColumns[table];
    const cursorValues = after === null ? [] : (JSON.parse(after) as unknown[]);
    const where =
      after === null
        ? 'true'
        : `(${order.join(', ')}) > (${order.map((_, index) => `$${index + 2}`).join(', ')})`;
    const selected = exportSelectList(table, await this.columns(table), (name, type) =>
      type === 'vector' ? `${name}::text AS ${name}` : name,
    );
    const raw = await this.db.rows<Record<string, unknown>>(
      `SELECT ${order.map((name, index) => `${name} AS transfer_cursor_${index}`).join(', ')}, ${selected}
       FROM ${table} WHERE ${where} ORDER BY ${order.join(', ')} LIMIT $1`,
      [limit, ...cursorValues],
    );
    const rows = raw.map((row) => {
      const out: TransferRow = {};
      for (const [name, type] of transferColumns[table]) {
        const value = row[name] as TransferRow[string];
        out[name] = type === 'vector' && typeof value === 'string' ? parseVector(value) : value;
      }
      return out;
    });
    const last = raw.at(-1);
    const cursor = last
      ? JSON.stringify(order.map((_, index) => last[`transfer_cursor_${index}`]))
      : after;
    return { rows, cursor };
  }

  /** Columns of a table as this schema has them (one of an older version may lack added ones). */
  private async columns(table: TransferTable): Promise<Set<string>> {
    if (addedColumns[table] === undefined) return new Set();
    const rows = await this.db.rows<{ name: string }>(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
      [table],
    );
    return new Set(rows.map((row) => row.name));
  }

  async count(table: TransferTable): Promise<number> {
    const rows = await this.db.rows<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    return rows[0]?.n ?? 0;
  }

  /** Inserts rows with what a write would add (change sequences, tsvectors, statistics; HNSW indexes after the last memories) and the checkpoint, in one transaction. */
  import(table: TransferTable, rows: TransferRow[], checkpoint: TransferCheckpoint): Promise<void> {
    return this.db.transaction(async (sql) => {
      // The checkpoint first: its row lock makes a second copy into this database wait, then
      // find the checkpoint moved and give up, before it writes a row.
      const advanced = await sql.run(
        `INSERT INTO transfer_progress (migration, table_name, cursor, copied, done) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (migration, table_name) DO UPDATE SET cursor = excluded.cursor, copied = excluded.copied, done = excluded.done
         WHERE transfer_progress.copied = $6 AND NOT transfer_progress.done`,
        [
          checkpoint.migration,
          checkpoint.table,
          checkpoint.cursor,
          checkpoint.copied,
          checkpoint.done,
          checkpoint.copied - rows.length,
        ],
      );
      if (advanced === 0) throw concurrentCopy();
      if (rows.length > 0) await this.insert(sql, table, rows);
      if (table === 'memories' && checkpoint.done) await buildVectorIndexes(sql);
    });
  }

  async checkpoints(): Promise<TransferCheckpoint[]> {
    const rows = await this.db.rows<{
      migration: string;
      table_name: string;
      cursor: string | null;
      copied: number;
      done: boolean;
    }>('SELECT migration, table_name, cursor, copied, done FROM transfer_progress');
    return rows.map((row) => ({
      migration: row.migration,
      table: row.table_name as TransferTable,
      cursor: row.cursor,
      copied: row.copied,
      done: row.done,
    }));
  }

  private async insert(sql: Sql, table: TransferTable, rows: TransferRow[]): Promise<void> {
    refuseNul(table, rows);
    const columns: ExtraColumn[] = transferColumns[table].map(([name, type]) => ({
      name,
      type: arrayTypes[type],
      cast: type === 'vector' ? '::vector' : '',
      values: rows.map((row) =>
        type === 'vector' && row[name] instanceof Float32Array
          ? vectorLiteral(row[name])
          : (row[name] ?? null),
      ),
    }));
    const statistics = new TextStatistics();
    if (table === 'memories') {
      columns.push(...(await memoryExtras(sql, rows, statistics)));
    } else if (table === 'session_messages') {
      columns.push({
        name: 'tsv',
        type: 'text[]',
        cast: '::tsvector',
        values: rows.map((row) => {
          const tokens = rowTokens(row);
          if (tokens === null) return null;
          const tenant = tenantOf(row);
          const tsv = tsvectorLiteral(messagePartition(tenant), tokens);
          statistics.add(sessionsSpace, tenant, 1, tsv.lexemes);
          return tsv.literal;
        }),
      });
    }
    await sql.run(
      `INSERT INTO ${table} (${columns.map((column) => column.name).join(', ')})
       SELECT ${columns.map((column) => `u.${column.name}${column.cast}`).join(', ')}
       FROM unnest(${columns.map((column, index) => `$${index + 1}::${column.type}`).join(', ')})
         WITH ORDINALITY AS u(${columns.map((column) => column.name).join(', ')}, position)
       ORDER BY u.position`,
      columns.map((column) => column.values),
    );
    await statistics.flush(sql);
  }
}

/**
 * The HNSW index of every store, built once the copy's last memories are in: with a bulk build a
 * 10,161-memory copy took 8.1 s, keeping the index up to date row by row 20.0 s (docs/scaling.md).
 * It commits with the last batch of memories, so a resumed copy never finds stores without one.
 */
async function buildVectorIndexes(sql: Sql): Promise<void> {
  await sql.run("SET LOCAL maintenance_work_mem = '256MB'");
  const stores = await sql.rows<{ name: string; dimensions: number }>(
    'SELECT name, dimensions FROM stores',
  );
  for (const store of stores) {
    const index = createVectorIndexSql(store.name, store.dimensions);
    if (index) await sql.run(index);
  }
  // Fresh statistics, so the planner's choice between walking HNSW and sorting is right at once.
  await sql.run('ANALYZE memories');
}

/**
 * Fails on a row holding U+0000, which PostgreSQL text cannot store (SQLite files written before
 * Mnemos refused it may have one), naming the row instead of the driver's encoding error.
 */
function refuseNul(table: TransferTable, rows: TransferRow[]): void {
  for (const row of rows) {
    const column = nulPath(row);
    if (column === null) continue;
    const id = row.id ?? row.key ?? row.name ?? '?';
    throw new MnemosError(
      'invalid_input',
      `${table} row ${String(id)} holds a NUL character (U+0000) in ${column}, which PostgreSQL cannot store; remove it in the source and run the same command again`,
      { details: { table, id, column } },
    );
  }
}

function tenantOf(row: TransferRow): TenantKey {
  return { appId: String(row.app_id), tenantId: String(row.tenant_id) };
}

/** An extra column of copied rows, beyond the shared ones. */
interface ExtraColumn {
  name: string;
  type: string;
  cast: string;
  values: unknown[];
}

/** The tsvector (counted into the full-text statistics) and change sequence of each copied memory. */
async function memoryExtras(
  sql: Sql,
  rows: TransferRow[],
  statistics: TextStatistics,
): Promise<ExtraColumn[]> {
  const sequences = new Map<string, ChangeSequence>();
  for (const store of new Set(rows.map((row) => String(row.store)))) {
    const sequence = new ChangeSequence(sql, store);
    await sequence.lock(rows.filter((row) => row.store === store).map(tenantOf));
    sequences.set(store, sequence);
  }
  const seqs: number[] = [];
  const tsvs: Array<string | null> = [];
  for (const row of rows) {
    const store = String(row.store);
    const tenant = tenantOf(row);
    seqs.push(await sequences.get(store)!.next(tenant));
    const tokens = rowTokens(row);
    if (tokens === null) {
      tsvs.push(null);
      continue;
    }
    const tsv = memoryTsv(store, tenant, tokens);
    statistics.add(store, tenant, 1, tsv.lexemes);
    tsvs.push(tsv.literal);
  }
  for (const sequence of sequences.values()) await sequence.flush();
  return [
    { name: 'tsv', type: 'text[]', cast: '::tsvector', values: tsvs },
    { name: 'seq', type: 'bigint[]', cast: '', values: seqs },
  ];
}
