import { MnemosError } from '../../core/errors.js';
import type { StoreRecord } from '../../core/store-record.js';
import type { StorageStatistics, StoreStorage } from '../../spec/storage.js';
import { type StoreRow, storeFromRow } from '../shared/rows.js';
import { lockStoreExclusively } from './change-sequence.js';
import { type Database, type Sql, sqlState } from './database.js';
import type { PostgresReembed } from './pg-reembed.js';
import { createVectorIndexSql, dropVectorIndexSql } from './vectors.js';

const storeColumns = 'name, description, embedder_id, dimensions, created_at, updated_at';

/** Stores (a global table: a handful of rows every replica reads) and whole-database counts. */
export class PostgresStores implements StoreStorage {
  constructor(
    private readonly db: Database,
    private readonly reembed: PostgresReembed,
  ) {}

  /** Creates the store row and its HNSW index in one transaction. */
  async create(store: StoreRecord): Promise<StoreRecord> {
    try {
      await this.db.transaction(async (sql) => {
        await sql.run(`INSERT INTO stores (${storeColumns}) VALUES ($1, $2, $3, $4, $5, $6)`, [
          store.name,
          store.description,
          store.embedderId,
          store.dimensions,
          Date.parse(store.createdAt),
          Date.parse(store.updatedAt),
        ]);
        const index = createVectorIndexSql(store.name, store.dimensions);
        if (index) await sql.run(index);
      });
    } catch (error) {
      if (sqlState((error as { cause?: unknown }).cause) === '23505') {
        throw new MnemosError('already_exists', `memory store ${store.name} already exists`, {
          details: { store: store.name },
        });
      }
      throw error;
    }
    return (await this.get(store.name))!;
  }

  async get(name: string): Promise<StoreRecord | null> {
    const rows = await this.db.rows<StoreRow>(
      `SELECT ${storeColumns} FROM stores WHERE name = $1`,
      [name],
    );
    return rows[0] ? storeFromRow(rows[0]) : null;
  }

  async update(name: string, description: string, now: number): Promise<StoreRecord | null> {
    const rows = await this.db.rows<StoreRow>(
      `UPDATE stores SET description = $1, updated_at = $2 WHERE name = $3 RETURNING ${storeColumns}`,
      [description, now, name],
    );
    return rows[0] ? storeFromRow(rows[0]) : null;
  }

  async list(): Promise<StoreRecord[]> {
    const rows = await this.db.rows<StoreRow>(
      `SELECT ${storeColumns} FROM stores ORDER BY name COLLATE "C"`,
    );
    return rows.map(storeFromRow);
  }

  /** Removes a store with its index, memories, history, jobs, sequences and staging. */
  async delete(name: string): Promise<boolean> {
    return this.db.transaction(async (sql: Sql) => {
      await lockStoreExclusively(sql, name);
      await sql.run(dropVectorIndexSql(name));
      for (const table of ['memories', 'memory_history', 'jobs', 'memory_sequences']) {
        await sql.run(`DELETE FROM ${table} WHERE store = $1`, [name]);
      }
      await sql.run('DELETE FROM text_statistics WHERE space = $1', [name]);
      await this.reembed.forgetStore(sql, name);
      return (await sql.run('DELETE FROM stores WHERE name = $1', [name])) > 0;
    });
  }

  /** Counts across every store and tenant, for operators' metrics. */
  async statistics(): Promise<StorageStatistics> {
    const jobStates: Record<string, number> = {};
    for (const row of await this.db.rows<{ state: string; n: number }>(
      'SELECT state, count(*) AS n FROM jobs GROUP BY state',
    ))
      jobStates[row.state] = row.n;
    const memoriesByStore: Record<string, number> = {};
    for (const row of await this.db.rows<{ store: string; n: number }>(
      'SELECT store, count(*) AS n FROM memories WHERE deleted_at IS NULL AND valid_to IS NULL GROUP BY store',
    ))
      memoriesByStore[row.store] = row.n;
    const tokens = await this.db.rows<{ p: number; c: number }>(
      `SELECT coalesce(sum((usage::jsonb ->> 'promptTokens')::bigint), 0)::bigint AS p,
              coalesce(sum((usage::jsonb ->> 'completionTokens')::bigint), 0)::bigint AS c
       FROM jobs WHERE usage IS NOT NULL`,
    );
    return {
      jobStates,
      memoriesByStore,
      jobTokens: { promptTokens: tokens[0]?.p ?? 0, completionTokens: tokens[0]?.c ?? 0 },
    };
  }
}
