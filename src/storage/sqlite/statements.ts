import type { Database, Statement } from 'better-sqlite3';
import { MnemosError } from '../../core/errors.js';

/** Prepared-statement cache: each SQL text is compiled once per connection. */
export class Statements {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  /** The prepared statement for this SQL. */
  get(sql: string): Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  /** Next value of the database-wide change sequence; call inside a write transaction. */
  nextSeq(): number {
    const row = this.get(
      "UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value",
    ).get() as {
      value: number;
    };
    return row.value;
  }

  /** Runs work in an immediate transaction; driver failures become `storage_error`, never empty results. */
  write<T>(work: () => T): T {
    try {
      return this.db.transaction(work).immediate();
    } catch (error) {
      if (MnemosError.isInstance(error)) throw error;
      throw new MnemosError('storage_error', `database write failed: ${(error as Error).message}`, {
        category: 'system',
        cause: error,
      });
    }
  }
}
