import type { TenantKey } from '../../core/scope.js';
import { TextStatistics } from './bm25.js';
import { ChangeSequence } from './change-sequence.js';
import type { Database, Sql } from './database.js';
import { MemoryWrites } from './pg-memory-writes.js';

/** Memory writes of one store in one transaction, holding the change sequences of their tenants. */
export function writeMemories<T>(
  db: Database,
  store: string,
  now: number,
  tenants: TenantKey[],
  work: (writes: MemoryWrites, sql: Sql) => Promise<T>,
): Promise<T> {
  return db.transaction(async (sql) => {
    const sequence = new ChangeSequence(sql, store);
    await sequence.lock(tenants);
    const statistics = new TextStatistics();
    const writes = new MemoryWrites(sql, store, sequence, statistics, now);
    const result = await work(writes, sql);
    await writes.finish();
    await sequence.flush();
    await statistics.flush(sql);
    return result;
  });
}
