import { MnemosError } from '../../core/errors.js';
import type { StoreRecord } from '../../core/store-record.js';
import type { StoreStorage } from '../../spec/storage.js';
import { type StoreRow, storeFromRow } from '../shared/rows.js';
import type { SqliteReembed } from './sqlite-reembed.js';
import type { Statements } from './statements.js';

/** Memory stores of the SQLite backend. */
export class SqliteStores implements StoreStorage {
  constructor(
    private readonly statements: Statements,
    private readonly reembed: SqliteReembed,
  ) {}

  async create(store: StoreRecord): Promise<StoreRecord> {
    try {
      this.statements
        .get(
          'INSERT INTO stores (name, description, embedder_id, dimensions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          store.name,
          store.description,
          store.embedderId,
          store.dimensions,
          Date.parse(store.createdAt),
          Date.parse(store.updatedAt),
        );
    } catch (error) {
      if (String(error).includes('UNIQUE')) {
        throw new MnemosError('already_exists', `memory store ${store.name} already exists`, {
          details: { store: store.name },
        });
      }
      throw error;
    }
    return (await this.get(store.name))!;
  }

  async get(name: string): Promise<StoreRecord | null> {
    const row = this.statements.get('SELECT * FROM stores WHERE name = ?').get(name) as
      | StoreRow
      | undefined;
    return row ? storeFromRow(row) : null;
  }

  async update(name: string, description: string, now: number): Promise<StoreRecord | null> {
    this.statements
      .get('UPDATE stores SET description = ?, updated_at = ? WHERE name = ?')
      .run(description, now, name);
    return this.get(name);
  }

  async list(): Promise<StoreRecord[]> {
    return (this.statements.get('SELECT * FROM stores ORDER BY name').all() as StoreRow[]).map(
      storeFromRow,
    );
  }

  async delete(name: string): Promise<boolean> {
    return this.statements.write(() => {
      const keys = this.statements
        .get('SELECT key FROM memories WHERE store = ?')
        .raw()
        .all(name) as Array<[number]>;
      const removeFts = this.statements.get('DELETE FROM memories_fts WHERE rowid = ?');
      for (const [key] of keys) removeFts.run(key);
      this.statements.get('DELETE FROM memories WHERE store = ?').run(name);
      this.statements.get('DELETE FROM memory_history WHERE store = ?').run(name);
      this.statements.get('DELETE FROM jobs WHERE store = ?').run(name);
      this.reembed.forgetStore(name);
      return this.statements.get('DELETE FROM stores WHERE name = ?').run(name).changes > 0;
    });
  }
}
