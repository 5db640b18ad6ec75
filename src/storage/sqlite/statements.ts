import type { Database, Statement } from 'better-sqlite3';

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
}
