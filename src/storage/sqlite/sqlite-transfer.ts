import type {
  TransferCheckpoint,
  TransferRow,
  TransferStorage,
  TransferTable,
} from '../../spec/storage.js';
import { blobToVector, partitionToken, vectorToBlob } from '../shared/rows.js';
import {
  addedColumns,
  columnList,
  concurrentCopy,
  exportSelectList,
  rowTokens,
  transferColumns,
} from '../shared/transfer-columns.js';
import { invalidatedPartition } from './sqlite-memories.js';
import { messagePartition } from './sqlite-sessions.js';
import type { Statements } from './statements.js';

/** Bulk copy of whole tables for `mnemos migrate`; rows are read in rowid order, the cursor is the last rowid. */
export class SqliteTransfer implements TransferStorage {
  constructor(private readonly statements: Statements) {}

  /** False for a table a file of an older schema version does not have yet: it reads as empty. */
  private exists(table: TransferTable): boolean {
    return (
      this.statements
        .get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(table) !== undefined
    );
  }

  /** Columns of a table as this file has them (one of an older schema may lack added ones). */
  private columns(table: TransferTable): Set<string> {
    if (addedColumns[table] === undefined) return new Set();
    const rows = this.statements.get(`PRAGMA table_info(${table})`).all() as Array<{
      name: string;
    }>;
    return new Set(rows.map((row) => row.name));
  }

  async export(
    table: TransferTable,
    after: string | null,
    limit: number,
  ): Promise<{ rows: TransferRow[]; cursor: string | null }> {
    if (!this.exists(table)) return { rows: [], cursor: after };
    const raw = this.statements
      .get(
        `SELECT rowid AS transfer_cursor, ${exportSelectList(table, this.columns(table))} FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      )
      .all(after === null ? 0 : Number(after), limit) as Array<Record<string, unknown>>;
    const rows = raw.map((row) => fromSqlite(table, row));
    const last = raw.at(-1);
    return { rows, cursor: last ? String(last.transfer_cursor) : after };
  }

  async count(table: TransferTable): Promise<number> {
    if (!this.exists(table)) return 0;
    return (this.statements.get(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  /** Inserts rows and records the checkpoint in one transaction. */
  async import(
    table: TransferTable,
    rows: TransferRow[],
    checkpoint: TransferCheckpoint,
  ): Promise<void> {
    return this.statements.write(() => {
      const advanced = this.statements
        .get(
          `INSERT INTO transfer_progress (migration, table_name, cursor, copied, done) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (migration, table_name) DO UPDATE SET cursor = excluded.cursor, copied = excluded.copied, done = excluded.done
           WHERE transfer_progress.copied = ? AND NOT transfer_progress.done`,
        )
        .run(
          checkpoint.migration,
          checkpoint.table,
          checkpoint.cursor,
          checkpoint.copied,
          checkpoint.done ? 1 : 0,
          checkpoint.copied - rows.length,
        );
      if (advanced.changes === 0) throw concurrentCopy();
      const columns = transferColumns[table];
      const extra = table === 'memories' ? ', seq' : '';
      const placeholders = columns.map(() => '?').join(', ') + (extra ? ', ?' : '');
      const insert = this.statements.get(
        `INSERT INTO ${table} (${columnList(table)}${extra}) VALUES (${placeholders})`,
      );
      for (const row of rows) {
        const values = columns.map(([name, type]) => toSqlite(row[name], type));
        if (table === 'memories') values.push(this.statements.nextSeq());
        const key = insert.run(...values).lastInsertRowid;
        const tokens = rowTokens(row);
        if (tokens === null) continue;
        if (table === 'memories') this.indexMemory(key, row, tokens);
        if (table === 'session_messages') {
          const tenant = { appId: String(row.app_id), tenantId: String(row.tenant_id) };
          this.statements
            .get('INSERT INTO session_messages_fts (rowid, partition, tokens) VALUES (?, ?, ?)')
            .run(key, messagePartition(tenant), tokens);
        }
      }
    });
  }

  async checkpoints(): Promise<TransferCheckpoint[]> {
    const rows = this.statements
      .get('SELECT migration, table_name, cursor, copied, done FROM transfer_progress')
      .all() as Array<{
      migration: string;
      table_name: string;
      cursor: string | null;
      copied: number;
      done: number;
    }>;
    return rows.map((row) => ({
      migration: row.migration,
      table: row.table_name as TransferTable,
      cursor: row.cursor,
      copied: row.copied,
      done: row.done === 1,
    }));
  }

  /** Full-text entry of a copied memory: the live partition, or the invalidated one when it no longer holds. */
  private indexMemory(key: number | bigint, row: TransferRow, tokens: string): void {
    const store = String(row.store);
    const tenant = { appId: String(row.app_id), tenantId: String(row.tenant_id) };
    const partition =
      row.valid_to === null
        ? partitionToken(store, tenant.appId, tenant.tenantId)
        : invalidatedPartition(store, tenant);
    this.statements
      .get('INSERT INTO memories_fts (rowid, partition, tokens) VALUES (?, ?, ?)')
      .run(key, partition, tokens);
  }
}

function fromSqlite(table: TransferTable, row: Record<string, unknown>): TransferRow {
  const out: TransferRow = {};
  for (const [name, type] of transferColumns[table]) {
    const value = row[name] as TransferRow[string];
    if (value === null || value === undefined) out[name] = null;
    else if (type === 'vector') out[name] = blobToVector(value as unknown as Buffer);
    else if (type === 'boolean') out[name] = value === 1;
    else out[name] = value;
  }
  return out;
}

function toSqlite(value: TransferRow[string] | undefined, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (type === 'vector') return vectorToBlob(value as Float32Array);
  if (type === 'boolean') return value ? 1 : 0;
  return value;
}
