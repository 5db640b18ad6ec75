import type pg from 'pg';
import { MnemosError } from '../../core/errors.js';

/** Anything that runs SQL: the pool, or the client of a transaction. */
export interface Sql {
  /** Rows of one parameterised statement. */
  rows<R>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Rows changed by one parameterised statement. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

/** SQLSTATEs after which a whole transaction may simply be run again. */
const retryable = new Set(['40001', '40P01']);
const attempts = 4;

/** SQLSTATEs of a lost or refused connection: class 08, and the server shutting down or starting. */
const lostStates = /^(08|57P0[1-3])/;
/** Socket errors of a server that is down or unreachable. */
const socketErrors = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** node-postgres' own connection errors, which carry no code. */
const lostMessages =
  /^Connection terminated|timeout exceeded when trying to connect|is not queryable/;

/** True when the database could not be reached or dropped the connection (restart, failover, network). */
export function connectionLost(error: unknown): boolean {
  const code = sqlState(error);
  if (code) return lostStates.test(code) || socketErrors.has(code);
  return lostMessages.test((error as Error | null)?.message ?? '');
}

/**
 * A driver failure as `storage_error`, never an empty result; Mnemos errors pass through.
 * `details.unavailable` marks a lost connection: the same request may succeed once the database is back.
 */
export function storageError(error: unknown, what = 'database operation'): MnemosError {
  if (MnemosError.isInstance(error)) return error;
  const code = sqlState(error);
  return new MnemosError('storage_error', `${what} failed: ${(error as Error).message}`, {
    category: 'system',
    cause: error,
    details: {
      ...(code ? { sqlstate: code } : {}),
      ...(connectionLost(error) ? { unavailable: true } : {}),
    },
  });
}

/** SQLSTATE of a driver error, or undefined. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function wrap(client: pg.Pool | pg.PoolClient): Sql {
  return {
    async rows<R>(sql: string, params: unknown[] = []): Promise<R[]> {
      return (await client.query(sql, params)).rows as R[];
    },
    async run(sql: string, params: unknown[] = []): Promise<number> {
      return (await client.query(sql, params)).rowCount ?? 0;
    },
  };
}

/** The pool of one PostgresStorage: plain statements, and transactions retried on deadlock or serialization failure. */
export class Database {
  private readonly direct: Sql;

  constructor(readonly pool: pg.Pool) {
    this.direct = wrap(pool);
  }

  /** Rows of one statement outside any transaction. */
  async rows<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return await this.direct.rows<R>(sql, params);
    } catch (error) {
      throw storageError(error, 'database read');
    }
  }

  /** Rows changed by one statement outside any transaction. */
  async run(sql: string, params: unknown[] = []): Promise<number> {
    try {
      return await this.direct.run(sql, params);
    } catch (error) {
      throw storageError(error, 'database write');
    }
  }

  /**
   * Runs `work` in one READ COMMITTED transaction. A deadlock or serialization failure runs it
   * again from the start (so `work` must keep its state inside), a few times at most.
   */
  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw storageError(error, 'database connection');
      }
      let broken = false;
      // A connection lost while checked out emits 'error' with no pool listener attached, which
      // would crash the process; the failed statement reports it, and the client is dropped.
      const onError = (): void => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        if (attempt < attempts && retryable.has(sqlState(error) ?? '')) continue;
        throw storageError(error, 'database write');
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  /** Ends every connection. */
  async end(): Promise<void> {
    await this.pool.end();
  }
}
